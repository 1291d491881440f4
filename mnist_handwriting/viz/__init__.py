"""Pictures of trajectories with Pillow: PNG grids (:mod:`.grid`) and GIF animations (:mod:`.animate`)."""
