"""Export the result store to one .tar.gz archive, and import one, keeping only the results of the current code."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from dlbook import store
from dlbook.experiments import NETWORK_MODULES
from dlbook.fingerprint import PACKAGE, REPO_ROOT, module_path
from dlbook.seeds import seed_offset

#: The archive member that lists the result files, their checksums and how their keys were made.
MANIFEST = "manifest.json"
#: The ``format`` entry of the manifest.
FORMAT = "dlbook-results/1"

_CHUNK = 1 << 20

#: Result files by name, each with its SHA-256 and size.
_Files = dict[str, tuple[str, int]]


@dataclass
class ImportReport:
    """What :func:`import_store` wrote into the store, and what it left out, by file name, with the reason."""

    imported: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def dlbook_modules() -> list[str]:
    """Return every module of the ``dlbook`` package: ``"dlbook"`` and ``"dlbook.<name>"`` for each source file."""
    package = module_path(PACKAGE).parent
    return [PACKAGE] + sorted(f"{PACKAGE}.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__")


def current_keys() -> dict[str, str]:
    """Return, for each result key that the current code gives, the module(s) it is made from.

    A key belongs to one ``dlbook`` module, or to a module and the module of a network it trains
    (:meth:`dlbook.experiments.Recipe.depends_on`).
    """
    keys = {store.result_key(module): module for module in dlbook_modules()}
    for module in dlbook_modules():
        for network in NETWORK_MODULES:
            keys.setdefault(store.result_key((module, network)), f"{module} + {network}")
    return keys


def _git_commit() -> str | None:
    """Return the commit checked out in the repository, or None outside a git checkout."""
    try:
        done = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_files(current_only: bool = False) -> list[Path]:
    """Return the result files of the store, sorted; with ``current_only`` those the current code and seed offset load."""
    files = sorted(p for p in store.store_dir().glob("*.pt") if store.RESULT_FILE.match(p.name))
    if current_only:
        keys = current_keys()
        files = [p for p in files if store.RESULT_FILE.match(p.name)["key"] in keys]
    return files


def archived_names(archive: Path) -> list[str] | None:
    """Return the sorted result names that the manifest of ``archive`` lists, or None if it has no readable one."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.next()  # export writes the manifest first
            if member is None or member.name != MANIFEST:
                return None
            return sorted(_parse_manifest(Path(archive), tar.extractfile(member).read()))
    except (OSError, ValueError, tarfile.TarError, EOFError, zlib.error):
        return None


def export_store(archive: Path, current_only: bool = False) -> int:
    """Write every stored result and a ``manifest.json`` to the ``.tar.gz`` file ``archive``; return how many.

    With ``current_only`` only the results that the current code and seed offset would load are
    written (the store also keeps older versions, see :data:`dlbook.store.KEEP_VERSIONS`).

    The manifest lists each file's name, SHA-256 and size, the seed offset, each ``dlbook``
    module's own dependency fingerprint (a trained network's key combines those of its training
    module and of its architecture's module: :meth:`dlbook.experiments.Recipe.depends_on`), and
    the repository's git commit (``null`` outside a git checkout). The archive is written to a
    temporary file beside it and renamed into place, so an interrupted export leaves nothing
    half-written; it is readable by everyone (0644), like a file a web server publishes. An
    empty store raises ValueError.
    """
    archive = Path(archive)
    files = stored_files(current_only)
    if not files:
        which = "results of the current code" if current_only else "results"
        raise ValueError(f"the store {store.store_dir()} holds no {which} to export")
    manifest = {
        "format": FORMAT,
        "git_commit": _git_commit(),
        "seed_offset": seed_offset(),
        "dependency_fingerprints": {module: store.dependency_fingerprint(module) for module in dlbook_modules()},
        "files": [{"name": p.name, "sha256": _sha256(p), "size": p.stat().st_size} for p in files],
    }
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    fd, tmp = tempfile.mkstemp(dir=archive.parent, prefix=f".{archive.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(text), int(time.time())
            tar.addfile(info, io.BytesIO(text))
            for path in files:
                tar.add(path, arcname=path.name)
        os.replace(tmp, archive)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(files)


def _parse_manifest(archive: Path, text: bytes) -> _Files:
    """Return the manifest's files as ``{name: (sha256, size)}``; raise ValueError unless it is well formed."""
    try:
        entries = json.loads(text)["files"]
        files = {entry["name"]: (entry["sha256"], entry["size"]) for entry in entries}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{archive}: {MANIFEST} is not a manifest written by export ({exc!r})") from None
    for name, (digest, size) in files.items():
        if not (isinstance(name, str) and store.RESULT_FILE.match(name) and isinstance(digest, str)
                and isinstance(size, int)):
            raise ValueError(f"{archive}: {MANIFEST} has a bad entry: name {name!r}, sha256 {digest!r}, size {size!r}")
    if len(files) != len(entries):
        raise ValueError(f"{archive}: {MANIFEST} lists a file twice")
    return files


def _read(source: IO[bytes], sink: IO[bytes] | None = None) -> tuple[str, int]:
    """Read ``source`` to its end, copying it to ``sink`` if given; return its SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size


def _read_archive(archive: Path, staging: Path, keep: set[str]) -> tuple[_Files, _Files]:
    """Unpack the result files of ``archive`` whose key is in ``keep`` into ``staging``.

    Return the manifest's ``{name: (sha256, size)}`` and the same for the members found.
    Raise ValueError for an unreadable archive or a member that is not a stored result file.
    """
    manifest, found = None, {}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = member.name
                if name != MANIFEST and not store.RESULT_FILE.match(name):
                    raise ValueError(f"{archive}: foreign member {name!r}: neither {MANIFEST} nor a stored "
                                     f"result file (<name>-<16 hex digits>.pt, no folders)")
                if not member.isfile():
                    raise ValueError(f"{archive}: member {name!r} is not a regular file")
                if name in found or (name == MANIFEST and manifest is not None):
                    raise ValueError(f"{archive}: member {name!r} appears twice")
                source = tar.extractfile(member)
                if name == MANIFEST:
                    manifest = _parse_manifest(archive, source.read())
                elif store.RESULT_FILE.match(name)["key"] in keep:
                    with (staging / name).open("xb") as sink:
                        found[name] = _read(source, sink)
                else:
                    found[name] = _read(source)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(f"{archive} is not a readable .tar.gz archive (truncated or corrupt?): {exc}") from None
    if manifest is None:
        raise ValueError(f"{archive} has no {MANIFEST}: it was not written by `python -m dlbook.store export`")
    return manifest, found


def _check_contents(archive: Path, manifest: _Files, found: _Files) -> None:
    """Raise ValueError unless the members ``found`` are exactly the manifest's files, with its checksums and sizes."""
    unlisted, missing = sorted(found.keys() - manifest.keys()), sorted(manifest.keys() - found.keys())
    if unlisted:
        raise ValueError(f"{archive}: foreign member {unlisted[0]!r}: {MANIFEST} does not list it")
    if missing:
        raise ValueError(f"{archive}: {MANIFEST} lists {missing[0]!r}, but the archive does not contain it")
    for name in sorted(manifest):
        (expected, expected_size), (actual, actual_size) = manifest[name], found[name]
        if actual != expected:
            raise ValueError(f"{archive}: member {name!r} has SHA-256 {actual}, but {MANIFEST} says {expected}")
        if actual_size != expected_size:
            raise ValueError(f"{archive}: member {name!r} has {actual_size} bytes, but {MANIFEST} says {expected_size}")


def import_store(archive: Path) -> ImportReport:
    """Copy the results in ``archive`` (written by :func:`export_store`) that the current code would store.

    A result is kept only if its file name ``<name>-<key>.pt`` is :func:`dlbook.store.result_path`
    of ``name`` for some ``dlbook`` module under the current code and seed offset; the others,
    and the results already in the store, are skipped and reported. The whole archive is checked
    before anything is written (raising ValueError that names the archive and the problem): it
    must be a readable ``.tar.gz`` with a manifest, hold only the manifest's files (no folders,
    nothing else) and every one of them, each with its SHA-256 and size. Each kept file is
    unpacked beside the store and renamed into it, so none is ever half-written.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise FileNotFoundError(f"no archive at {archive}")
    keys = current_keys()
    target = store.store_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".import-") as staging:
        manifest, found = _read_archive(archive, Path(staging), set(keys))
        _check_contents(archive, manifest, found)
        report = ImportReport()
        for name in sorted(manifest):
            key = store.RESULT_FILE.match(name)["key"]
            if key not in keys:
                report.skipped[name] = (f"made by other code or seed offset: key {key} matches no dlbook "
                                        f"module of the current code at seed offset {seed_offset()}")
            elif (target / name).exists():
                report.skipped[name] = "already in the store"
            else:
                report.imported.append(name)
        target.mkdir(parents=True, exist_ok=True)
        for name in report.imported:
            os.replace(Path(staging) / name, target / name)
    return report


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m dlbook.store export PATH`` or ``import PATH``; return the exit status (1 for a bad archive)."""
    parser = argparse.ArgumentParser(prog="python -m dlbook.store",
                                     description="Export the result store to a .tar.gz archive, or import one.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write every stored result to PATH")
    export.add_argument("path", type=Path)
    export.add_argument("--current", action="store_true", help="only the results of the current code and seed offset")
    commands.add_parser("import", help="copy the results in PATH that the current code would store"
                        ).add_argument("path", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            count = export_store(args.path, current_only=args.current)
            print(f"exported {count} results from {store.store_dir()} to {args.path}")
        else:
            report = import_store(args.path)
            for name, reason in report.skipped.items():
                print(f"skipped {name}: {reason}")
            print(f"imported {len(report.imported)} results into {store.store_dir()}, skipped {len(report.skipped)}")
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
