"""Jane Austen's six novels from Debian's r-cran-janeaustenr, without R.

  python3 bench/eval/janeaustenr.py [--cache DIR]

The package keeps its data as an R lazy-load database, data/Rdata.{rdx,rdb}:
  - Rdata.rdx is a gzip file (R's saveRDS) holding a serialized list with
    `variables` (object name -> c(offset, length) into Rdata.rdb),
    `references` and `compressed`;
  - each object in Rdata.rdb at [offset, offset + length) is a 4-byte
    big-endian uncompressed length, then a zlib stream (bzip2 or xz, after
    a type byte, when `compressed` is 2 or 3) of a serialized R value;
  - a novel is a character vector with one element per line, "" between
    paragraphs.
Serialization is R's XDR format ("X\n", version 2 or 3): see "Serialization
Formats" in the R Internals manual. Only the types these files use are read.

If the cache directory lacks the package, it is fetched with
`apt-get download` and unpacked with `dpkg-deb -x` (Debian or Ubuntu only).
"""

import argparse
import bz2
import gzip
import lzma
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

PACKAGE = "r-cran-janeaustenr"
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "build" / "janeaustenr"

# SEXP types (low 8 bits of an item's flags).
SYMSXP, LISTSXP, CHARSXP, LGLSXP = 1, 2, 9, 10
INTSXP, REALSXP, STRSXP, VECSXP = 13, 14, 16, 19
REFSXP, NILVALUE_SXP = 255, 254
HAS_ATTR, HAS_TAG = 1 << 9, 1 << 10  # flag bits (bit 8, is-object, unused)
LATIN1_LEVEL = 1 << 2   # CHARSXP level bits: encoding of the bytes
NA_INT = -(1 << 31)     # NA_integer_ and NA (logical)


class RVector(list):
    """An R vector as a Python list, keeping its attributes (e.g. names)."""

    def __init__(self, items, attrs=None):
        super().__init__(items)
        self.attrs = attrs or {}


class Unserializer:
    """Reads one value in R's XDR serialization format from a byte string."""

    def __init__(self, data):
        self.data, self.pos, self.refs = data, 0, []

    def take(self, n):
        chunk = self.data[self.pos:self.pos + n]
        if len(chunk) != n:
            raise ValueError("truncated R serialization")
        self.pos += n
        return chunk

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def ints(self, n):
        return list(struct.unpack(f">{n}i", self.take(4 * n)))

    def value(self):
        """The whole stream: header, then one item."""
        if self.take(2) != b"X\n":
            raise ValueError("not R's XDR serialization format")
        version, _writer, _min_reader = self.ints(3)
        if version == 3:
            self.take(self.int())  # native encoding, e.g. "UTF-8"
        elif version != 2:
            raise ValueError(f"unsupported serialization version {version}")
        return self.item()

    def item(self):
        flags = self.int()
        kind = flags & 0xFF
        if kind == NILVALUE_SXP:
            return None
        if kind == REFSXP:
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == SYMSXP:
            self.refs.append(self.item())  # the name, a CHARSXP
            return self.refs[-1]
        if kind == LISTSXP:
            return self.pairlist(flags)
        if kind == CHARSXP:
            return self.charsxp(flags)
        if kind in VECTOR_READERS:
            items = VECTOR_READERS[kind](self, self.length())
            attrs = self.attributes() if flags & HAS_ATTR else {}
            return RVector(items, attrs)
        raise ValueError(f"unsupported R SEXP type {kind} (flags {flags:#x})")

    def length(self):
        n = self.int()
        if n == -1:  # long vector: two more ints, upper then lower half
            upper, lower = self.ints(2)
            n = (upper << 32) | (lower & 0xFFFFFFFF)
        return n

    def charsxp(self, flags):
        n = self.int()
        if n == -1:
            return None  # NA_character_
        raw = self.take(n)
        return raw.decode("latin-1" if flags >> 12 & LATIN1_LEVEL else "utf-8")

    def pairlist(self, flags):
        """A pairlist as [(tag, value)], read along CDRs without recursing."""
        cells = []
        while flags & 0xFF == LISTSXP:
            if flags & HAS_ATTR:
                self.attributes()  # attributes of a pairlist cell: unused
            tag = self.item() if flags & HAS_TAG else None
            cells.append((tag, self.item()))
            flags = self.int()
        if flags & 0xFF != NILVALUE_SXP:
            raise ValueError("dotted pairlist is not supported")
        return cells

    def attributes(self):
        return dict(self.item())


def _strings(reader, n):
    items = []
    for _ in range(n):
        flags = reader.int()
        if flags & 0xFF != CHARSXP:
            raise ValueError(f"STRSXP element of type {flags & 0xFF}")
        items.append(reader.charsxp(flags))
    return items


def _ints(reader, n):
    return [None if v == NA_INT else v for v in reader.ints(n)]


def _logicals(reader, n):
    return [None if v == NA_INT else bool(v) for v in reader.ints(n)]


def _reals(reader, n):
    return list(struct.unpack(f">{n}d", reader.take(8 * n)))


def _list(reader, n):
    return [reader.item() for _ in range(n)]


VECTOR_READERS = {STRSXP: _strings, INTSXP: _ints, LGLSXP: _logicals,
                  REALSXP: _reals, VECSXP: _list}


def unserialize(data):
    return Unserializer(data).value()


def named(vector):
    """An R named list or vector as a dict."""
    return dict(zip(vector.attrs["names"], vector))


def decompress_entry(blob, method):
    """One .rdb entry; `method` is the rdx's `compressed` (TRUE, 2 or 3)."""
    size = struct.unpack(">I", blob[:4])[0]
    if method in (True, 1):
        data = zlib.decompress(blob[4:])
    else:  # types 2 and 3 put a byte after the length saying how
        kind, body = blob[4:5], blob[5:]
        decoders = {b"0": bytes, b"1": zlib.decompress,
                    b"2": bz2.decompress, b"Z": lzma.decompress}
        if kind not in decoders:
            raise ValueError(f"unknown .rdb compression type {kind!r}")
        data = decoders[kind](body)
    if len(data) != size:
        raise ValueError(f".rdb entry: {len(data)} bytes, expected {size}")
    return data


def package_dir(cache_dir):
    """The unpacked R package in the cache, fetched first if missing."""
    target = Path(cache_dir) / "janeaustenr"
    if not (target / "data" / "Rdata.rdx").exists():
        fetch(target)
    return target


def run(cmd, cwd):
    print("$", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True)


def fetch(target):
    """Downloads and unpacks the .deb; moves only the R package into target."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            run(["apt-get", "download", PACKAGE], tmp)
        except subprocess.CalledProcessError:  # stale or missing lists
            run(["apt-get", "update"], tmp)
            run(["apt-get", "download", PACKAGE], tmp)
        deb = next(Path(tmp).glob(f"{PACKAGE}_*.deb"))
        run(["dpkg-deb", "-x", deb.name, "root"], tmp)
        rdx = next(Path(tmp, "root").glob("**/janeaustenr/data/Rdata.rdx"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(rdx.parents[1], target)
        print(f"unpacked {deb.name} into {target}", file=sys.stderr)


def load_novels(cache_dir):
    """Every object of the package's data: novel name -> its lines (or None
    for NA). All six objects are novels."""
    data = package_dir(cache_dir) / "data"
    rdx = gzip.decompress((data / "Rdata.rdx").read_bytes())
    index = named(unserialize(rdx))
    method = index["compressed"][0]
    rdb = (data / "Rdata.rdb").read_bytes()
    novels = {}
    for name, (offset, length) in named(index["variables"]).items():
        blob = rdb[offset:offset + length]
        value = unserialize(decompress_entry(blob, method))
        if not (isinstance(value, RVector) and all(
                line is None or isinstance(line, str) for line in value)):
            raise ValueError(f"{name} is not a character vector")
        novels[name] = list(value)
    return novels


def novel_text(cache_dir, name):
    """One novel as text, one line per element; NA lines become empty."""
    return "\n".join(line or "" for line in load_novels(cache_dir)[name])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    start = time.perf_counter()
    novels = load_novels(args.cache)
    elapsed = time.perf_counter() - start
    for name, lines in novels.items():
        head = [line for line in lines if line][:3]
        print(f"{name}: {len(lines)} lines, "
              f"{sum(line is None for line in lines)} NA")
        for line in head:
            print(f"    {line}")
    print(f"loaded {len(novels)} novels in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
