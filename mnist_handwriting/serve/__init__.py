"""The local web page (``mnist-handwriting serve``): draw a digit and watch it written (issue 8).

:mod:`.app` answers the API from parsed JSON, :mod:`.server` is the standard-library HTTP
layer, ``static/`` holds the page (plain HTML, JavaScript and CSS; nothing is fetched from
the internet).
"""
