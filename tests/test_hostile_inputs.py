"""Hostile and broken input through the engine: photos, zips, project files and the CLI.

Every input comes from `hostile_corpus`. Each must end in a clear message or be set aside with
its reason, keep the rest of its batch, and write nothing anywhere. The tests carry the
`reliability` marker, so their outcomes are the rows of docs/reliability.md.
"""

import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import hostile_corpus
import imagefactory
import pytest
from hypothesis import HealthCheck, given, settings, strategies
from PIL import Image

from tlcore import cli, errors
from tlcore.data import datasets, images, loading

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]

# Words from inside Python and its libraries that must never reach a person's screen.
JARGON = (
    "Traceback",
    "Errno",
    "PIL",
    "Pillow",
    "cannot identify",
    "Error",
    "Exception",
    "decoder",
    "struct.error",
    "keras.src",
    "<class",
    "0x",
    "\\x",
    "safe_mode",
)

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_plain_words(message: str) -> None:
    """Checks that a message holds no Python jargon and is one line."""
    leaked = [word for word in JARGON if word in message]
    assert not leaked, f"{leaked} in {message!r}"
    assert "\n" not in message


def paths_under(folder: pathlib.Path) -> set[pathlib.Path]:
    """Returns every file and folder under a folder."""
    return set(folder.rglob("*"))


def write_inputs(folder: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
    """Writes `files` (relative path: content) under `folder` and returns `folder`."""
    for relative_path, content in files.items():
        path = folder / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


class SealedFilesystem:
    """A test's working folder and temporary folder, both empty, inside the test's own folder.

    `assert_untouched` checks that nothing was written under the test's folder since the
    sealed filesystem was set up (or since `reset`): not in the working folder, not in the
    temporary folder, not at a `../` target beside them, and nothing at the absolute path the
    corpus's zip names.
    """

    def __init__(self, root: pathlib.Path, monkeypatch: pytest.MonkeyPatch):
        self.root = root
        self.work = root / "outside" / "work"
        self.temporary = root / "temporary"
        self.work.mkdir(parents=True)
        self.temporary.mkdir()
        monkeypatch.chdir(self.work)
        monkeypatch.setattr(tempfile, "tempdir", str(self.temporary))
        monkeypatch.setenv("TMPDIR", str(self.temporary))
        self.reset()

    def reset(self) -> None:
        """Takes the current content as the reference, after a test wrote its inputs."""
        self.before = paths_under(self.root)

    def assert_untouched(self) -> None:
        """Checks that nothing was written since the reference was taken."""
        written = sorted(str(path) for path in paths_under(self.root) - self.before)
        assert not written, f"written: {written}"
        assert not pathlib.Path(hostile_corpus.ABSOLUTE_ENTRY).exists()


@pytest.fixture
def sealed(tmp_path, monkeypatch) -> SealedFilesystem:
    """An empty working folder and temporary folder, and a check that nothing was written."""
    return SealedFilesystem(tmp_path, monkeypatch)


# Bad photos: alone, and mixed among good ones.


def photo_params(through: str, batch: bool = False) -> list:
    """Returns the photo cases as parameters, with what must happen through `through`."""
    params = []
    for case in hostile_corpus.BAD_PHOTOS:
        expected = None
        if batch:
            expected = (
                "set aside in a batch, the rest kept"
                if case.expect == hostile_corpus.REFUSED
                else "kept in a batch"
            )
        params.append(case.param("Bad photos", through, expected))
    return params


@pytest.mark.parametrize("case", photo_params("data.images.load_image"))
def test_photo_through_load_image(case):
    data = case.data()
    if case.expect == hostile_corpus.REFUSED:
        with pytest.raises(errors.UnreadableImageError) as caught:
            images.load_image(data, case.file_name)
        error = caught.value
        assert error.file_name == case.file_name
        assert str(error).startswith(f"'{case.file_name}' cannot be used as a photo: ")
        assert case.message in error.reason
        assert_plain_words(str(error))
    else:
        image = images.load_image(data, case.file_name)
        assert image.mode == "RGB"
        assert image.width >= 1 and image.height >= 1
        if case.check is not None:
            case.check(image)


def batch_entries(case) -> dict[str, bytes]:
    """Returns three good photos and the case's file, laid out in two class folders."""
    return {
        "apples/a1.png": hostile_corpus.good_photo(0),
        "apples/a2.png": hostile_corpus.good_photo(1),
        "pears/p1.png": hostile_corpus.good_photo(2),
        f"pears/{case.file_name}": case.data(),
    }


def assert_batch_kept(dataset: datasets.Dataset, case, shown_name: str) -> None:
    """Checks that the good photos were kept, and the case's file set aside or kept."""
    assert not dataset.duplicates
    if case.expect == hostile_corpus.REFUSED:
        assert dataset.counts() == {"apples": 2, "pears": 1}
        assert [skipped.file_name for skipped in dataset.skipped] == [shown_name]
        assert case.message in dataset.skipped[0].reason
        assert_plain_words(dataset.skipped[0].reason)
    else:
        assert dataset.counts() == {"apples": 2, "pears": 2}
        assert dataset.skipped == []


@pytest.mark.parametrize("case", photo_params("data.loading.load_folder", batch=True))
def test_photo_among_good_ones_in_a_folder(case, sealed):
    root = write_inputs(sealed.root / "photos", batch_entries(case))
    sealed.reset()
    dataset = loading.load_folder(root)
    assert_batch_kept(dataset, case, f"pears/{case.file_name}")
    sealed.assert_untouched()


@pytest.mark.parametrize("case", photo_params("data.loading.load_zip", batch=True))
def test_photo_among_good_ones_in_a_zip(case, sealed):
    dataset = loading.load_zip(imagefactory.make_zip_bytes(batch_entries(case)))
    assert_batch_kept(dataset, case, f"pears/{case.file_name}")
    sealed.assert_untouched()


def test_forty_megapixel_photo_is_decoded_in_draft_mode():
    data = hostile_corpus.make_forty_megapixel_jpeg()
    with Image.open(io.BytesIO(data)) as photo:
        assert photo.size == hostile_corpus.FORTY_MEGAPIXEL_SIZE
    # A quarter of each side is a sixteenth of the pixels: about 10 MB decoded, not 160 MB.
    assert images.load_image(data).size == (7300 // 4, 5500 // 4)


# Bad zips.


@pytest.mark.parametrize(
    "case", [case.param("Bad zips", "data.loading.load_zip") for case in hostile_corpus.BAD_ZIPS]
)
def test_zip_through_load_zip(case, sealed):
    data = case.data()
    if case.expect == hostile_corpus.REFUSED:
        with pytest.raises(errors.DatasetError) as caught:
            loading.load_zip(data)
        assert case.message in str(caught.value)
        assert_plain_words(str(caught.value))
    else:
        dataset = loading.load_zip(data)
        if case.expect == hostile_corpus.SET_ASIDE:
            assert dataset.skipped
            for skipped in dataset.skipped:
                assert case.message in skipped.reason
                assert_plain_words(skipped.reason)
        else:
            assert dataset.skipped == []
        if case.check is not None:
            case.check(dataset)
    # The zip is read in memory: nothing is unpacked, in the working folder, the temporary
    # folder, or where a ../ or absolute entry points.
    sealed.assert_untouched()


@pytest.mark.reliability(
    area="Bad zips",
    case="a zip with a single class",
    through="data.datasets.check_trainable",
    expected="training refused: it needs at least 2 classes",
)
def test_a_zip_of_one_class_cannot_be_trained_on():
    dataset = loading.load_zip(hostile_corpus.make_zip_of_one_class())
    with pytest.raises(errors.DatasetError, match="at least 2 classes"):
        datasets.check_trainable(dataset)


# Project files.


@pytest.fixture
def marker(tmp_path, monkeypatch) -> pathlib.Path:
    """The file that hostile model code touches if it ever runs; it must never appear."""
    path = tmp_path / "hostile-code-ran"
    monkeypatch.setenv(hostile_corpus.MARKER_VARIABLE, str(path))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        case.param("Bad project files", "serving.project_file.load_project")
        for case in hostile_corpus.BAD_PROJECTS
    ],
)
def test_project_through_load_project(case, sealed, marker):
    import keras

    from tlcore.serving import project_file

    data = case.data()
    sealed.reset()
    assert hostile_corpus.CUSTOM_LAYER_NAME not in keras.saving.get_custom_objects()
    if case.expect == hostile_corpus.REFUSED:
        with pytest.raises(errors.ProjectFileError) as caught:
            project_file.load_project(data)
        assert case.message in str(caught.value)
        assert_plain_words(str(caught.value))
    else:
        trained = project_file.load_project(data)
        if case.check is not None:
            case.check(trained)
    assert not marker.exists(), "code inside the project file ran"
    sealed.assert_untouched()


@pytest.mark.slow
def test_the_hostile_lambda_is_live_code(marker, tmp_path):
    # The control for the refusals above: with safe mode off, which tlcore never does, loading
    # the model runs the Lambda's function, so an absent marker means the code never ran.
    import keras

    with zipfile.ZipFile(io.BytesIO(hostile_corpus.make_lambda_project())) as archive:
        (tmp_path / "model.keras").write_bytes(archive.read("model.keras"))
    keras.models.load_model(tmp_path / "model.keras", compile=False, safe_mode=False)
    assert marker.exists()


# The command line: in a process of its own for two cases, and in this one for the others.


def run_command_line(*arguments, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    """Runs `python -m tlcore ...` in a fresh process, as a person would.

    The process inherits this one's environment, so its temporary folder (`TMPDIR`) is the
    sealed one.
    """
    return subprocess.run(
        [sys.executable, "-m", "tlcore", *map(str, arguments), "--quiet"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )


def assert_one_error_line(stderr: str, expected: str) -> None:
    """Checks that the CLI said what was wrong in one plain line, without a traceback."""
    assert "Traceback" not in stderr
    error_lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, stderr
    assert expected in error_lines[0]
    assert_plain_words(error_lines[0])


@pytest.mark.slow
@pytest.mark.reliability(
    area="Command line",
    case="a zip with an entry named ../evil.jpg",
    through="python -m tlcore train (own process)",
    expected="status 2, one line, nothing written",
)
def test_cli_train_refuses_an_unsafe_zip_in_its_own_process(sealed):
    inputs = write_inputs(
        sealed.root / "inputs", {"photos.zip": hostile_corpus.make_zip_with_parent_entry()}
    )
    sealed.reset()
    result = run_command_line(
        "train",
        inputs / "photos.zip",
        "--out",
        sealed.work / "model.zip",
        cwd=sealed.work,
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "unsafe entry")
    assert result.stdout == ""
    sealed.assert_untouched()


@pytest.mark.slow
@pytest.mark.reliability(
    area="Command line",
    case="a .keras model with a custom registered layer",
    through="python -m tlcore predict (own process)",
    expected="status 2, one line, the layer's code never run",
)
def test_cli_predict_refuses_a_custom_layer_in_a_process_that_never_knew_it(sealed, marker):
    inputs = write_inputs(
        sealed.root / "inputs",
        {
            "project.zip": hostile_corpus.make_custom_layer_project(),
            "photo.png": hostile_corpus.good_photo(0),
        },
    )
    sealed.reset()
    result = run_command_line(
        "predict",
        inputs / "project.zip",
        inputs / "photo.png",
        cwd=sealed.work,
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "MarkerLayer")
    assert result.stdout == ""
    assert not marker.exists()
    sealed.assert_untouched()


@pytest.mark.slow
@pytest.mark.reliability(
    area="Command line",
    case="every bad photo of the corpus after a good one",
    through="python -m tlcore predict",
    expected="status 2; a prediction for the good photo, an error line for each bad one",
)
def test_cli_predict_answers_for_good_photos_and_names_the_bad_ones(sealed, capsys):
    bad_cases = [
        case for case in hostile_corpus.BAD_PHOTOS if case.expect == hostile_corpus.REFUSED
    ]
    files = {
        "project.zip": hostile_corpus.make_tiny_project(),
        "good.png": hostile_corpus.good_photo(0),
    }
    files |= {case.file_name: case.data() for case in bad_cases}
    inputs = write_inputs(sealed.root / "inputs", files)
    sealed.reset()
    photo_names = ["good.png", *(case.file_name for case in bad_cases)]
    status = cli.main(
        ["predict", str(inputs / "project.zip"), *(str(inputs / name) for name in photo_names)]
    )
    captured = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in captured.err
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [pathlib.Path(line["file"]).name for line in lines] == photo_names
    assert lines[0]["top"][0]["class"] in hostile_corpus.TINY_CLASS_NAMES
    assert "error" not in lines[0]
    for line, case in zip(lines[1:], bad_cases, strict=True):
        assert line["top"] == []
        assert case.message in line["error"]
        assert_plain_words(line["error"])
    sealed.assert_untouched()


def cli_params():
    """The cases run through `cli.main` in this process: each needs no training."""
    cases = [
        ("train", "bomb-many-entries", hostile_corpus.BAD_ZIPS, "would unpack to"),
        ("train", "bad-photos-only", hostile_corpus.BAD_ZIPS, "Each class needs at least"),
        ("train", "no-class-folders", hostile_corpus.BAD_ZIPS, "No class folders found"),
        ("predict", "lambda-layer", hostile_corpus.BAD_PROJECTS, "Lambda layer"),
        ("evaluate", "mismatched-classes", hostile_corpus.BAD_PROJECTS, "tells 3 classes apart"),
        ("evaluate", "not-a-zip", hostile_corpus.BAD_PROJECTS, "not a zip file"),
    ]
    params = []
    for command, key, corpus, message in cases:
        case = next(case for case in corpus if case.key == key)
        marker = pytest.mark.reliability(
            area="Command line",
            case=case.description,
            through=f"python -m tlcore {command}",
            expected="status 2, one line, nothing written",
        )
        params.append(pytest.param(command, case, message, id=f"{command}-{key}", marks=marker))
    return params


@pytest.mark.slow
@pytest.mark.parametrize(("command", "case", "message"), cli_params())
def test_cli_refuses_bad_input_with_one_line(command, case, message, sealed, marker, capsys):
    inputs = sealed.root / "inputs"
    good_data = imagefactory.make_zip_bytes(hostile_corpus.good_zip_entries())
    write_inputs(
        inputs, {case.file_name: case.data(), "good.zip": good_data, "photo.png": b"\x89PNG"}
    )
    sealed.reset()
    bad_file = inputs / case.file_name
    arguments = {
        "train": ["train", bad_file, "--out", sealed.work / "model.zip"],
        "predict": ["predict", bad_file, inputs / "photo.png"],
        "evaluate": ["evaluate", bad_file, inputs / "good.zip"],
    }[command]
    status = cli.main([*map(str, arguments), "--quiet"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert_one_error_line(captured.err, message)
    assert not marker.exists()
    sealed.assert_untouched()


# Properties over arbitrary bytes.


def _seed_images() -> list[bytes]:
    """Small valid files of every accepted format, which the mutations start from."""
    noise = Image.frombytes("RGB", (16, 12), bytes(range(256)) * 2 + bytes(64))
    palette = noise.convert("P")
    return [
        imagefactory.encode(noise, "JPEG", quality=80),
        imagefactory.encode(noise, "PNG"),
        imagefactory.encode(palette, "PNG", transparency=0),
        imagefactory.encode(noise, "GIF"),
        imagefactory.encode(noise, "WEBP", lossless=True),
        imagefactory.encode(noise, "BMP"),
        imagefactory.make_animated_gif_bytes(),
        imagefactory.make_mpo_bytes(),
        hostile_corpus.make_sixteen_bit_rgba_png(),
    ]


SEED_IMAGES = _seed_images()

# The first bytes of each accepted format, so that random bytes reach every decoder.
MAGIC_PREFIXES = (
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xc0\x00\x11\x08",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"GIF89a",
    b"GIF87a",
    b"BM",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"RIFF\x00\x00\x00\x00WEBPVP8L",
)


@strategies.composite
def mutated_images(draw) -> bytes:
    """Draws a valid small image, then flips, cuts, inserts or overwrites some of its bytes."""
    data = bytearray(draw(strategies.sampled_from(SEED_IMAGES)))
    for _ in range(draw(strategies.integers(1, 4))):
        mutation = draw(strategies.sampled_from(["flip", "cut", "insert", "overwrite"]))
        position = draw(strategies.integers(0, max(len(data) - 1, 0)))
        if mutation == "flip" and data:
            data[position] ^= draw(strategies.integers(1, 255))
        elif mutation == "cut":
            del data[position:]
        elif mutation == "insert":
            data[position:position] = draw(strategies.binary(min_size=1, max_size=16))
        else:
            chunk = draw(strategies.binary(min_size=1, max_size=16))
            data[position : position + len(chunk)] = chunk
    return bytes(data)


ARBITRARY_BYTES = strategies.one_of(
    strategies.binary(max_size=2048),
    strategies.tuples(strategies.sampled_from(MAGIC_PREFIXES), strategies.binary(max_size=512)).map(
        b"".join
    ),
)


def assert_rgb_or_refused(data: bytes) -> None:
    """Checks that bytes load as an RGB picture, or are refused with UnreadableImageError."""
    try:
        image = images.load_image(data, "upload.jpg")
    except errors.UnreadableImageError as error:
        assert error.file_name == "upload.jpg"
        assert error.reason
        assert_plain_words(str(error))
        return
    assert image.mode == "RGB"
    assert image.width >= 1 and image.height >= 1
    assert image.width * image.height <= images.MAX_PIXELS


@pytest.mark.reliability(
    area="Properties",
    case="arbitrary bytes as a photo (200 examples)",
    through="data.images.load_image",
    expected="an RGB picture, or UnreadableImageError; never another error",
)
@pytest.mark.filterwarnings("ignore::UserWarning")
@PROPERTY_SETTINGS
@given(ARBITRARY_BYTES)
def test_arbitrary_bytes_load_as_rgb_or_are_refused(data):
    assert_rgb_or_refused(data)


@pytest.mark.reliability(
    area="Properties",
    case="real photos with bytes flipped, cut, inserted (200 examples)",
    through="data.images.load_image",
    expected="an RGB picture, or UnreadableImageError; never another error",
)
@pytest.mark.filterwarnings("ignore::UserWarning")
@PROPERTY_SETTINGS
@given(mutated_images())
def test_mutated_photos_load_as_rgb_or_are_refused(data):
    assert_rgb_or_refused(data)
