"""The reference placement of a CAM of the study's network on its crop, for the CAM tests.

Independent of skmammo's graph: the last convolution (conv3) of
``paper_cnn`` has cell ``p`` centred on crop pixel ``4p + 7.5`` (5x5 valid,
pool 2, 5x5 valid, pool 2, 3x3 same), conv2 on ``2p + 6.5``; pixels between
cell centres are interpolated linearly, pixels beyond the outermost centres
take those cells' values.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates


#: (scale, offset) of each layer's cells on the crop.
PLACES = {"conv3": (4.0, 7.5), "conv2": (2.0, 6.5)}


def cam_on_crop(cam: np.ndarray, shape: tuple[int, int], layer: str = "conv3") -> np.ndarray:
    scale, offset = PLACES[layer]
    rows = np.clip((np.arange(shape[0]) - offset) / scale, 0, cam.shape[0] - 1)
    cols = np.clip((np.arange(shape[1]) - offset) / scale, 0, cam.shape[1] - 1)
    grid = np.meshgrid(rows, cols, indexing="ij")
    return map_coordinates(cam.astype(np.float64), grid, order=1).astype(np.float32)
