"""Pin an ICC v2 profile's header creation date (bytes 24..35) so colprof builds are byte-identical.

Usage: python3 fix_icc_date.py PROFILE.icc [EPOCH]   (EPOCH defaults to $SOURCE_DATE_EPOCH or 0)
Argyll writes a v2.2 profile whose Profile ID (bytes 84..99) is all zero, so nothing else needs
recomputing; for a v4 profile with a non-zero ID, the MD5 would have to be redone.
"""

import os
import struct
import sys
import time
from pathlib import Path

path = Path(sys.argv[1])
epoch = int(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("SOURCE_DATE_EPOCH", "0"))
data = bytearray(path.read_bytes())
assert data[36:40] == b"acsp", "not an ICC profile"
assert data[84:100] == bytes(16), "profile ID set: recompute MD5 after patching"
t = time.gmtime(epoch)
data[24:36] = struct.pack(">6H", t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
path.write_bytes(bytes(data))
