#!/usr/bin/env python3
"""Writes and checks the operator's OCI image archive (see scripts/image.sh, which calls this).

  build  --base DIR --jar JAR --uid N --tag NAME:TAG --out FILE
  check  --archive FILE --jar JAR --deployment YAML
  rootfs --archive FILE --dir DIR

The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) in a tar, plus
Docker's manifest.json, as `docker save` writes it since Docker 25: `podman load`, `docker load`
and `skopeo copy oci-archive:...` all read it. Two layers: the Debian base root filesystem (its
gzip'd blob is cached next to the base) and /app with the jar. Every timestamp in what this writes
is SOURCE_DATE_EPOCH (default 0), so the same base and jar make the same image digest.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

JAR_IN_IMAGE = "/app/polardb-backup-operator.jar"
ENTRYPOINT = ["java", "-jar", JAR_IN_IMAGE]
CMD = ["run"]
ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
CHUNK = 1 << 20


def clean(name):
    """A tar entry's name as a path from the root: no ./ or / in front."""
    path = os.path.normpath(name).lstrip("/")
    return "" if path == "." else path


def fail(message):
    print(f"image check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


class HashingWriter(io.RawIOBase):
    """A file-like sink that hashes and counts what passes through to `out`."""

    def __init__(self, out):
        self.out, self.sha, self.size = out, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, b):
        self.sha.update(b)
        self.size += len(b)
        return self.out.write(b) if self.out else len(b)


def gzip_layer(write_tar, blob_path):
    """Writes a gzip'd layer with write_tar(fileobj); returns (digest, diff_id, size)."""
    with open(blob_path, "wb") as raw:
        compressed = HashingWriter(raw)
        with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=EPOCH, compresslevel=6) as gz:
            plain = HashingWriter(gz)
            write_tar(plain)
    return "sha256:" + compressed.sha.hexdigest(), "sha256:" + plain.sha.hexdigest(), compressed.size


def base_layer(base_dir):
    """The base root filesystem as a gzip'd layer blob, made once per base and cached beside it."""
    blob, meta = os.path.join(base_dir, "layer.tar.gz"), os.path.join(base_dir, "layer.json")
    if os.path.exists(blob) and os.path.exists(meta):
        return blob, json.load(open(meta))

    def copy(out):
        with open(os.path.join(base_dir, "rootfs.tar"), "rb") as f:
            shutil.copyfileobj(f, out, CHUNK)

    digest, diff_id, size = gzip_layer(copy, blob + ".part")
    os.replace(blob + ".part", blob)
    info = {"digest": digest, "diff_id": diff_id, "size": size}
    json.dump(info, open(meta, "w"))
    return blob, info


def app_layer(jar, blob):
    def write(out):
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as t:
            d = tarfile.TarInfo("app")
            d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            t.addfile(d)
            f = tarfile.TarInfo(JAR_IN_IMAGE.lstrip("/"))
            f.size, f.mode, f.mtime = os.path.getsize(jar), 0o644, EPOCH
            with open(jar, "rb") as src:
                t.addfile(f, src)

    digest, diff_id, size = gzip_layer(write, blob)
    return {"digest": digest, "diff_id": diff_id, "size": size}


def json_blob(obj):
    data = json.dumps(obj, indent=2, sort_keys=True).encode()
    return data, "sha256:" + hashlib.sha256(data).hexdigest()


def architecture():
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def packages(base_dir):
    found = {}
    path = os.path.join(base_dir, "base-packages.txt")
    if os.path.exists(path):
        for line in open(path):
            name, _, version = line.strip().partition("=")
            found[name] = version
    return found


def build(args):
    name, _, tag = args.tag.rpartition(":")
    base_blob, base = base_layer(args.base)
    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(args.out)))
    try:
        app_blob = os.path.join(work, "app.tar.gz")
        app = app_layer(args.jar, app_blob)
        versions = packages(args.base)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(EPOCH))
        config = {
            "architecture": architecture(),
            "os": "linux",
            "created": created,
            "config": {
                "User": f"{args.uid}:{args.uid}",
                "Env": ENV + [f"JAVA_HOME=/usr/lib/jvm/java-17-openjdk-{architecture()}"],
                "Entrypoint": ENTRYPOINT,
                "Cmd": CMD,
                "WorkingDir": "/",
                "ExposedPorts": {"8080/tcp": {}},
                "Labels": {
                    "org.opencontainers.image.title": "polardb-backup-operator",
                    "org.opencontainers.image.version": tag,
                    "org.opencontainers.image.base.name": "debian:bookworm (mmdebstrap, "
                    + "openjdk-17-jre-headless "
                    + versions.get("openjdk-17-jre-headless", "?")
                    + ")",
                },
            },
            "rootfs": {"type": "layers", "diff_ids": [base["diff_id"], app["diff_id"]]},
            "history": [
                {"created": created, "created_by": "mmdebstrap --variant=essential bookworm "
                 "openjdk-17-jre-headless ca-certificates (scripts/image.sh)"},
                {"created": created, "created_by": f"COPY polardb-backup-operator.jar {JAR_IN_IMAGE}"},
            ],
        }
        config_data, config_digest = json_blob(config)
        layers = [
            {"mediaType": OCI_LAYER, "digest": base["digest"], "size": base["size"]},
            {"mediaType": OCI_LAYER, "digest": app["digest"], "size": app["size"]},
        ]
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_data)},
            "layers": layers,
        }
        manifest_data, manifest_digest = json_blob(manifest)
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": manifest_digest,
                    "size": len(manifest_data),
                    "annotations": {
                        "io.containerd.image.name": args.tag,
                        "org.opencontainers.image.ref.name": tag,
                    },
                }
            ],
        }
        path = lambda digest: "blobs/sha256/" + digest.split(":")[1]
        docker_manifest = [
            {
                "Config": path(config_digest),
                "RepoTags": [args.tag],
                "Layers": [path(layer["digest"]) for layer in layers],
            }
        ]
        part = args.out + ".part"
        with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as out:

            def add_bytes(name, data):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, EPOCH
                out.addfile(info, io.BytesIO(data))

            def add_file(name, src):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = os.path.getsize(src), 0o644, EPOCH
                with open(src, "rb") as f:
                    out.addfile(info, f)

            for d in ("blobs", "blobs/sha256"):
                info = tarfile.TarInfo(d)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
                out.addfile(info)
            add_bytes("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
            add_bytes("index.json", json.dumps(index, indent=2).encode())
            add_bytes("manifest.json", json.dumps(docker_manifest).encode())
            add_bytes(path(manifest_digest), manifest_data)
            add_bytes(path(config_digest), config_data)
            add_file(path(base["digest"]), base_blob)
            add_file(path(app["digest"]), app_blob)
        os.replace(part, args.out)
        print(f"image: {args.tag} {manifest_digest} ({os.path.getsize(args.out) // (1 << 20)} MiB)",
              file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# check and rootfs
# ------------------------------------------------------------------------------------------------


class Archive:
    """An image archive opened for reading, its blobs checked against their descriptors."""

    def __init__(self, path):
        self.tar = tarfile.open(path, "r")
        self.members = {clean(m.name): m for m in self.tar.getmembers()}
        for required in ("oci-layout", "index.json", "manifest.json"):
            if required not in self.members:
                fail(f"{required} is missing from {path}")
        self.index = json.loads(self.read("index.json"))
        manifests = self.index.get("manifests", [])
        if len(manifests) != 1:
            fail(f"index.json names {len(manifests)} manifests, expected 1")
        self.manifest = json.loads(self.blob(manifests[0]))
        self.config = json.loads(self.blob(self.manifest["config"]))
        docker = json.loads(self.read("manifest.json"))[0]
        if docker["Config"] != self.blob_path(self.manifest["config"]["digest"]) or docker[
            "Layers"
        ] != [self.blob_path(layer["digest"]) for layer in self.manifest["layers"]]:
            fail("manifest.json (docker load) and the OCI manifest disagree")

    def read(self, name):
        return self.tar.extractfile(self.members[name]).read()

    @staticmethod
    def blob_path(digest):
        return "blobs/sha256/" + digest.split(":", 1)[1]

    def blob(self, descriptor):
        data = self.read(self.blob_path(descriptor["digest"]))
        if len(data) != descriptor["size"]:
            fail(f"{descriptor['digest']} is {len(data)} bytes, its descriptor says {descriptor['size']}")
        if "sha256:" + hashlib.sha256(data).hexdigest() != descriptor["digest"]:
            fail(f"{descriptor['digest']} does not match its content")
        return data

    def layer_stream(self, descriptor):
        """The layer's compressed stream, hashing as it is read; verify() after reading it all."""
        member = self.members.get(self.blob_path(descriptor["digest"]))
        if member is None:
            fail(f"layer {descriptor['digest']} is missing")
        if member.size != descriptor["size"]:
            fail(f"layer {descriptor['digest']} is {member.size} bytes, descriptor says {descriptor['size']}")
        return self.tar.extractfile(member)


class Hashing(io.RawIOBase):
    def __init__(self, raw):
        self.raw, self.sha = raw, hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, b):
        data = self.raw.read(len(b))
        self.sha.update(data)
        b[: len(data)] = data
        return len(data)


def merged_view(archive):
    """Every path of the image's root filesystem (layers applied in order) -> its tar entry, with
    the sha256 of the jar and the content of /etc/passwd. Checks each layer's digest and diff_id."""
    files, contents = {}, {}
    wanted = {JAR_IN_IMAGE.lstrip("/"), "etc/passwd", "etc/group"}
    diff_ids = archive.config["rootfs"]["diff_ids"]
    if len(diff_ids) != len(archive.manifest["layers"]):
        fail("the config's diff_ids and the manifest's layers differ in number")
    for descriptor, diff_id in zip(archive.manifest["layers"], diff_ids):
        compressed = Hashing(archive.layer_stream(descriptor))
        plain = Hashing(gzip.GzipFile(fileobj=io.BufferedReader(compressed, CHUNK)))
        with tarfile.open(fileobj=io.BufferedReader(plain, CHUNK), mode="r|") as layer:
            for entry in layer:
                path = clean(entry.name)
                base = os.path.basename(path)
                if base.startswith(".wh."):
                    gone = os.path.join(os.path.dirname(path), base[4:])
                    for p in [p for p in files if p == gone or p.startswith(gone + "/")]:
                        del files[p]
                    continue
                files[path] = entry
                if entry.isfile() and path in wanted:
                    data = layer.extractfile(entry).read()
                    contents[path] = data
        # The tar reader stops at its end marker: the padding after it and the gzip trailer count too.
        while plain.read(CHUNK):
            pass
        while compressed.read(CHUNK):
            pass
        if "sha256:" + compressed.sha.hexdigest() != descriptor["digest"]:
            fail(f"layer {descriptor['digest']} does not match its content")
        if "sha256:" + plain.sha.hexdigest() != diff_id:
            fail(f"layer {descriptor['digest']}: uncompressed sha256 is not its diff_id {diff_id}")
    return files, contents


def resolve(files, path, hops=0):
    """Follows symbolic links inside the image (not the host) to a regular file's entry."""
    if hops > 20:
        fail(f"symbolic link loop at /{path}")
    parts, done = path.strip("/").split("/"), ""
    for i, part in enumerate(parts):
        here = f"{done}/{part}".strip("/")
        entry = files.get(here)
        if entry is None:
            return None, here
        if entry.issym():
            target = entry.linkname
            target = target if target.startswith("/") else os.path.join("/" + done, target)
            rest = "/".join(parts[i + 1 :])
            return resolve(files, os.path.normpath(os.path.join(target, rest)), hops + 1)
        done = here
    return files[done], done


def deployment_facts(path):
    text = open(path).read()
    uid = re.search(r"runAsUser:\s*(\d+)", text)
    gid = re.search(r"runAsGroup:\s*(\d+)", text)
    args = re.search(r"^\s*args:\s*(\[.*\])\s*$", text, re.M)
    if not (uid and gid and args) or "runAsNonRoot: true" not in text:
        fail(f"{path}: no runAsNonRoot/runAsUser/runAsGroup/args found")
    return int(uid.group(1)), int(gid.group(1)), json.loads(args.group(1))


def dockerfile_facts(path):
    facts = {}
    for line in open(path):
        word, _, rest = line.strip().partition(" ")
        if word in ("ENTRYPOINT", "CMD"):
            facts[word] = json.loads(rest)
        elif word == "USER":
            facts[word] = rest.strip()
        elif word == "COPY":
            facts[word] = rest.split()[-1]
    return facts


def check(args):
    archive = Archive(args.archive)
    config = archive.config["config"]
    uid, gid, deployment_args = deployment_facts(args.deployment)
    ok = []

    user = config.get("User", "")
    if user.split(":")[0] != str(uid) or user.split(":")[1:] not in ([], [str(gid)]):
        fail(f"config User is {user!r}; the Deployment runs as {uid}:{gid}")
    ok.append(f"User {user} = the Deployment's runAsUser {uid}, runAsGroup {gid} (runAsNonRoot)")
    if config.get("Entrypoint") != ENTRYPOINT:
        fail(f"Entrypoint is {config.get('Entrypoint')}, expected {ENTRYPOINT}")
    if config.get("Cmd") != CMD or deployment_args != CMD:
        fail(f"Cmd is {config.get('Cmd')} and the Deployment's args {deployment_args}, expected {CMD}")
    ok.append(f"Entrypoint {ENTRYPOINT}, Cmd {CMD} (the Deployment's args)")
    docker = dockerfile_facts(args.dockerfile)
    if docker != {"USER": user, "ENTRYPOINT": ENTRYPOINT, "CMD": CMD, "COPY": JAR_IN_IMAGE}:
        fail(f"{args.dockerfile} builds another image: {docker}")
    ok.append(f"{args.dockerfile} has the same USER, ENTRYPOINT, CMD and jar path")

    files, contents = merged_view(archive)
    ok.append(f"{len(archive.manifest['layers'])} layers: digests, sizes and diff_ids match")
    jar = JAR_IN_IMAGE.lstrip("/")
    if jar not in contents:
        fail(f"{JAR_IN_IMAGE} is not in the image")
    image_sha = hashlib.sha256(contents[jar]).hexdigest()
    local_sha = hashlib.sha256(open(args.jar, "rb").read()).hexdigest()
    if image_sha != local_sha:
        fail(f"{JAR_IN_IMAGE} (sha256 {image_sha}) is not {args.jar} (sha256 {local_sha})")
    ok.append(f"{JAR_IN_IMAGE} = {args.jar} (sha256 {local_sha[:16]}…)")

    entry, java = resolve(files, "usr/bin/java")
    if entry is None or not entry.isfile() or not entry.mode & 0o111:
        fail(f"/usr/bin/java does not lead to an executable file (stopped at /{java})")
    home = os.path.dirname(os.path.dirname(java))
    for part in ("lib/modules", "lib/server/libjvm.so", "lib/libjli.so", "conf/security/java.security"):
        if resolve(files, f"{home}/{part}")[0] is None:
            fail(f"the JRE at /{home} has no {part}")
    cacerts, _ = resolve(files, "etc/ssl/certs/java/cacerts")
    if cacerts is None or cacerts.size < 10000:
        fail("no Java trust store (/etc/ssl/certs/java/cacerts): TLS to Alibaba Cloud would fail")
    ok.append(f"/usr/bin/java -> /{java}, a JRE at /{home} with its modules and a CA trust store")
    passwd = contents.get("etc/passwd", b"").decode()
    if not re.search(rf"^[^:]+:[^:]*:{uid}:{gid}:", passwd, re.M):
        fail(f"/etc/passwd has no user {uid}:{gid}")
    ok.append(f"/etc/passwd names user {uid}")
    for line in ok:
        print(f"image check: ok: {line}")

    root = tempfile.mkdtemp(prefix="polardb-image-rootfs.")
    try:
        unpack(archive, root)
        run_in_image(archive, root, ["--version"], r"^polardb-backup-operator ")
        run_in_image(archive, root, CMD + ["--help"], r"--polardb-endpoint")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("image check: all passed")


def unpack(archive, root):
    """The layers in order, unpacked by GNU tar as a container runtime would (numeric owners)."""
    for descriptor in archive.manifest["layers"]:
        stream = archive.layer_stream(descriptor)
        proc = subprocess.Popen(
            ["tar", "-xz", "--numeric-owner", "-p", "-C", root], stdin=subprocess.PIPE
        )
        shutil.copyfileobj(stream, proc.stdin, CHUNK)
        proc.stdin.close()
        if proc.wait() != 0:
            fail(f"tar could not unpack layer {descriptor['digest']}")


def chroot_command(config, root, extra):
    """The image's Entrypoint with `extra` as its arguments, run as its User with its Env, in the
    unpacked root filesystem: a new mount and PID namespace with its own /proc (the JVM finds its
    home through /proc/self/exe), the network of the host."""
    user = config["User"] if ":" in config["User"] else f"{config['User']}:{config['User']}"
    return (
        ["env", "-i"]
        + config.get("Env", [])
        + ["unshare", "--mount", "--pid", "--fork", "--kill-child", f"--mount-proc={root}/proc"]
        + ["chroot", f"--userspec={user}", root]
        + config["Entrypoint"]
        + extra
    )


def run_in_image(archive, root, extra, expect):
    command = chroot_command(archive.config["config"], root, extra)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    if result.returncode != 0 or not re.search(expect, output, re.M):
        fail(f"{' '.join(extra)} in the image exited {result.returncode}:\n{output}")
    first = output.strip().splitlines()[0] if output.strip() else ""
    print(f"image check: ok: in a chroot as {archive.config['config']['User']}: "
          f"{' '.join(archive.config['config']['Entrypoint'] + extra)} -> {first}")


def rootfs(args):
    archive = Archive(args.archive)
    os.makedirs(args.dir, exist_ok=True)
    unpack(archive, args.dir)
    print(" ".join(chroot_command(archive.config["config"], args.dir, [])))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--base", required=True)
    b.add_argument("--jar", required=True)
    b.add_argument("--uid", type=int, required=True)
    b.add_argument("--tag", required=True)
    b.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--archive", required=True)
    c.add_argument("--jar", required=True)
    c.add_argument("--deployment", required=True)
    c.add_argument("--dockerfile", required=True)
    r = sub.add_parser("rootfs")
    r.add_argument("--archive", required=True)
    r.add_argument("--dir", required=True)
    args = parser.parse_args()
    {"build": build, "check": check, "rootfs": rootfs}[args.command](args)


if __name__ == "__main__":
    main()
