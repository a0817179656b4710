"""Generates the caselink.v1 protobuf modules from proto/ while the package is built.

The .proto files are found in $CASELINK_PROTO_DIR, else in ../../proto (this package lives in
clients/python of the caselink repository). protoc must be on PATH (Debian: protobuf-compiler).
"""
import os
import pathlib
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


def proto_dir() -> pathlib.Path:
    found = pathlib.Path(os.environ.get("CASELINK_PROTO_DIR", HERE.parent.parent / "proto"))
    if not (found / "caselink" / "v1" / "envelope.proto").is_file():
        raise SystemExit(f"caselink-client: no caselink/v1/envelope.proto under {found}; "
                         "set CASELINK_PROTO_DIR to the repository's proto/ directory")
    return found


class BuildWithProtos(build_py):
    """build_py that first writes caselink/v1/*_pb2.py into the build directory."""

    def run(self):
        super().run()
        protoc = shutil.which("protoc")
        if protoc is None:
            raise SystemExit("caselink-client: protoc not found (Debian: apt-get install protobuf-compiler)")
        src = proto_dir()
        out = pathlib.Path(self.build_lib)
        protos = sorted(str(p.relative_to(src)) for p in (src / "caselink" / "v1").glob("*.proto"))
        subprocess.run([protoc, f"--proto_path={src}", f"--python_out={out}", *protos], check=True)
        # Regular packages, so `import caselink.v1.envelope_pb2` works from the installed wheel.
        for package in (out / "caselink", out / "caselink" / "v1"):
            (package / "__init__.py").touch()


setup(cmdclass={"build_py": BuildWithProtos})
