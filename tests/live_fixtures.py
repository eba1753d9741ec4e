"""Helpers for the live camera's browser test and benchmark: a fake camera and a project.

Chromium's fake camera (`--use-file-for-fake-video-capture`) plays a YUV4MPEG2 file in a loop;
`write_y4m` makes one from real photos, several seconds of each, so a test can watch the live
answer follow the video from one product to another.
"""

import io
import pathlib

import numpy as np
from PIL import Image

VIDEO_WIDTH = 320
VIDEO_HEIGHT = 240
VIDEO_FPS = 10
OWNER = "live-camera-test-owner-0001"


def video_picture(photo: bytes) -> np.ndarray:
    """Returns a photo squashed to the video's size, as RGB pixels."""
    with Image.open(io.BytesIO(photo)) as image:
        picture = image.convert("RGB").resize((VIDEO_WIDTH, VIDEO_HEIGHT))
    return np.asarray(picture)


def yuv420(pixels: np.ndarray) -> bytes:
    """Returns one RGB picture as planar YUV 4:2:0 (BT.601, studio range), as y4m stores it."""
    rgb = pixels.astype(np.float32)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 16 + 0.257 * red + 0.504 * green + 0.098 * blue
    blue_difference = 128 - 0.148 * red - 0.291 * green + 0.439 * blue
    red_difference = 128 + 0.439 * red - 0.368 * green - 0.071 * blue

    def half(plane: np.ndarray) -> np.ndarray:
        height, width = plane.shape
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    planes = [luma, half(blue_difference), half(red_difference)]
    return b"".join(np.clip(np.rint(plane), 0, 255).astype(np.uint8).tobytes() for plane in planes)


def write_y4m(path: pathlib.Path, scenes: list[tuple[list[bytes], float]]) -> pathlib.Path:
    """Writes a video of photos: each scene shows its photos in turn for so many seconds.

    Args:
        path: Where the `.y4m` file goes.
        scenes: `(photos, seconds)` pairs; each photo of a scene is shown for an equal share of
            its seconds.

    Returns:
        The path.
    """
    header = f"YUV4MPEG2 W{VIDEO_WIDTH} H{VIDEO_HEIGHT} F{VIDEO_FPS}:1 Ip A1:1 C420jpeg\n"
    with open(path, "wb") as video:
        video.write(header.encode("ascii"))
        for photos, seconds in scenes:
            frames = max(len(photos), int(round(seconds * VIDEO_FPS)))
            pictures = [yuv420(video_picture(photo)) for photo in photos]
            for index in range(frames):
                video.write(b"FRAME\n")
                video.write(pictures[index * len(pictures) // frames])
    return path


def trained_project(space, classes: dict[str, list[tuple[str, bytes]]], image_size: int = 96):
    """Makes a project of real photos and trains it for real, as the Train page would.

    Args:
        space: A `store.Workspace`.
        classes: The photos of each class.
        image_size: The model's image size.

    Returns:
        The project, with its trained model saved.
    """
    from tlcore.training import trainer, types

    project = space.create_project("Live camera", OWNER)
    for class_name, photos in classes.items():
        project.add_class(class_name)
        project.add_photos(class_name, photos)
    settings = types.TrainingSettings(epochs=15, image_size=image_size, seed=1)
    project.save_trained(trainer.train(project.to_dataset(), settings))
    return project
