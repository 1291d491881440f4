"""``mnist-handwriting serve``: the local web page to draw a digit and watch it written."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError
from .common import add_data_options, add_model_options, converter_spec, locations, torch_device, trace_points


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="a local web page: draw a digit and watch it written",
        description="Serve a small web page: draw a digit with the mouse or a finger and watch the model write it "
                    "(label by the shipped classifier unless you pick one), write a number, have the synthesis "
                    "network write one in a hand, browse random converted MNIST digits. Binds to 127.0.0.1 (this "
                    "machine only) unless --host says otherwise.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument("--synthesis-model", metavar="PATH",
                        help="synthesis weights for the page's synthesise panel, loaded when first used "
                             "(default: the shipped ones)")
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..convert import load_converter

    from ..serve.app import App
    from ..serve.server import make_server

    if not 0 <= args.port <= 65535:
        raise UserError(f"port {args.port} is outside 0..65535", "use e.g. --port 8000")
    if args.synthesis_model is not None and not Path(args.synthesis_model).expanduser().is_file():
        raise UserError(f"--synthesis-model {args.synthesis_model} is not a file",
                        "pass the DIR/synthesis.safetensors that `mnist-handwriting train-synthesis --out DIR` wrote")
    device = torch_device(args.device)
    app = App(load_converter(converter_spec(args), device, trace_points(args)), locations=locations(args),
              synthesis_model=args.synthesis_model, device=str(device))
    try:
        server = make_server(app, args.host, args.port, quiet=args.quiet)
    except OSError as error:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {error.strerror}",
                        "choose another --port (or --port 0 for any free one)") from None
    host, port = server.server_address[:2]
    print(f"serving on http://{host}:{port}/ ({app.converter.name}); press Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
