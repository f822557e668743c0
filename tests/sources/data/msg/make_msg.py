"""Writes Outlook .msg fixtures (MS-OXMSG in an MS-CFB compound file, version 3).

No .msg written by Outlook is published under a licence that lets it be copied here
(MSGReader's samples are MIT but binary, and this project's tools fetch text only), so
this writes the format from its specifications: [MS-CFB] (512-byte sectors, a mini
stream for streams under 4096 bytes, the directory as a chain of siblings) and
[MS-OXMSG] (``__substg1.0_<tag><type>`` streams, ``__properties_version1.0`` with its
32-byte header on the message and 8-byte header on recipients and attachments,
``__recip_version1.0_#XXXXXXXX`` and ``__attach_version1.0_#XXXXXXXX`` storages,
``__nameid_version1.0``). The files are checked by two readers written by others:
olefile, and Email::Outlook::Message (Perl, ``msgconvert``), see README.md.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


class Node:
    def __init__(self, name: str, data: bytes | None = None) -> None:
        self.name, self.data, self.children = name, data, []  # data None: a storage

    def add(self, node: Node) -> Node:
        self.children.append(node)
        return node


def _key(node: Node) -> tuple[int, str]:
    return (len(node.name), node.name.upper())


def write_cfb(root: Node) -> bytes:
    entries: list[Node] = []

    def walk(node: Node) -> None:
        entries.append(node)
        for child in sorted(node.children, key=_key):
            walk(child)

    walk(root)
    index = {id(n): i for i, n in enumerate(entries)}
    mini_data = bytearray()
    big: list[tuple[Node, bytes]] = []
    starts: dict[int, int] = {}
    for node in entries[1:]:
        if node.data is None:
            continue
        if len(node.data) < CUTOFF:
            starts[id(node)] = len(mini_data) // MINI
            mini_data += node.data + b"\0" * (-len(node.data) % MINI)
        else:
            big.append((node, node.data))
    minifat: list[int] = []
    for node in entries[1:]:
        if node.data is not None and len(node.data) < CUTOFF:
            count = max(1, -(-len(node.data) // MINI)) if node.data else 0
            first = starts[id(node)]
            minifat += [first + k + 1 for k in range(count - 1)] + ([END] if count else [])
    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        count = -(-len(data) // SECTOR)
        first = len(sectors)
        for k in range(count):
            sectors.append(data[k * SECTOR : (k + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + k + 1 if k < count - 1 else END)
        return first

    for node, data in big:
        starts[id(node)] = place(data)
    mini_start = place(bytes(mini_data))
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_bytes += b"\xff" * (-len(minifat_bytes) % SECTOR)
    minifat_start = place(minifat_bytes) if minifat else END

    directory = bytearray()
    for i, node in enumerate(entries):
        siblings = (
            sorted((c for p in entries for c in p.children if node in p.children), key=_key)
            if i
            else []
        )
        right = NOSTREAM
        if i:
            at = siblings.index(node)
            right = index[id(siblings[at + 1])] if at + 1 < len(siblings) else NOSTREAM
        kids = sorted(node.children, key=_key)
        child = index[id(kids[0])] if kids else NOSTREAM
        name = node.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if i == 0 else (1 if node.data is None else 2)
        if i == 0:
            start, size = mini_start, len(mini_data)
        elif node.data is None:
            start, size = 0, 0
        else:
            start, size = starts[id(node)], len(node.data)
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name.ljust(64, b"\0"),
            len(name),
            kind,
            1,
            NOSTREAM,
            right,
            child,
            b"\0" * 16,
            0,
            0,
            0,
            start if size or kind == 5 else END,
            size,
        )
    directory += b"\0" * (-len(directory) % SECTOR)
    # unused directory slots are empty entries with no siblings
    dir_start = place(bytes(directory))
    # the FAT describes every sector, itself included
    fat_count = 1
    while (len(sectors) + fat_count) * 4 > fat_count * SECTOR:
        fat_count += 1
    fat_start = len(sectors)
    fat += [FATSECT] * fat_count
    fat += [FREE] * (fat_count * SECTOR // 4 - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    for k in range(fat_count):
        sectors.append(fat_bytes[k * SECTOR : (k + 1) * SECTOR])
    difat = [fat_start + k for k in range(fat_count)] + [FREE] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        fat_count,
        dir_start,
        0,
        CUTOFF,
        minifat_start,
        -(-len(minifat) * 4 // SECTOR) if minifat else 0,
        END,
        0,
    ) + b"".join(struct.pack("<I", v) for v in difat)
    return header.ljust(SECTOR, b"\0") + b"".join(sectors)


def unicode(tag: int, text: str) -> Node:
    return Node(f"__substg1.0_{tag:04X}001F", text.encode("utf-16-le"))


def properties(header: int, values: list[tuple[int, int, bytes]]) -> Node:
    data = b"\0" * header
    for prop, kind, value in values:
        data += struct.pack("<IIQ", (prop << 16) | kind, 6, 0)[:8] + value.ljust(8, b"\0")
    return Node("__properties_version1.0", data)


def filetime(moment: datetime) -> bytes:
    delta = moment - datetime(1601, 1, 1, tzinfo=UTC)
    return struct.pack("<Q", (delta.days * 86400 + delta.seconds) * 10_000_000)


def message(
    subject: str,
    body: str,
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    sent: datetime,
    message_id: str,
    attachments: list[tuple[str, bytes]],
    html: bytes = b"",
) -> bytes:
    root = Node("Root Entry")
    root.add(Node("__nameid_version1.0")).add(Node("__substg1.0_00020102", b""))
    root.add(unicode(0x001A, "IPM.Note"))
    root.add(unicode(0x0037, subject))
    root.add(unicode(0x0C1A, sender[0]))
    root.add(unicode(0x5D01, sender[1]))
    root.add(unicode(0x0E04, "; ".join(name for name, _ in to)))
    root.add(unicode(0x1035, message_id))
    if body:
        root.add(unicode(0x1000, body))
    if html:
        root.add(Node("__substg1.0_10130102", html))
    root.add(
        properties(
            32,
            [
                (0x0039, 0x0040, filetime(sent)),
                (0x0E06, 0x0040, filetime(sent)),
                (0x3FDE, 0x0003, struct.pack("<i", 65001)),
            ],
        )
    )
    for n, (name, address) in enumerate(to):
        recipient = root.add(Node(f"__recip_version1.0_#{n:08X}"))
        recipient.add(unicode(0x3001, name))
        recipient.add(unicode(0x39FE, address))
        recipient.add(properties(8, [(0x0C15, 0x0003, struct.pack("<i", 1))]))
    for n, (name, data) in enumerate(attachments):
        attachment = root.add(Node(f"__attach_version1.0_#{n:08X}"))
        attachment.add(unicode(0x3707, name))
        attachment.add(Node("__substg1.0_37010102", data))
        attachment.add(properties(8, [(0x0E20, 0x0003, struct.pack("<i", len(data)))]))
    return write_cfb(root)


if __name__ == "__main__":
    (HERE / "korean_russian_attachment.msg").write_bytes(
        message(
            "회의 일정 / Расписание встречи",
            "안녕하세요,\r\n다음 주 화요일 오후 세 시에 만나요.\r\nДо встречи во вторник!\r\n",
            ("김민준", "minjun@example.org"),
            [("Анна Петрова", "anna@example.org"), ("Yuki Tanaka", "yuki@example.jp")],
            datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
            "<CAF1234.msg-fixture-1@example.org>",
            [("일정표.pdf", b"%PDF-1.4 fixture\n" * 300)],
        )
    )
    (HERE / "html_only_arabic_japanese.msg").write_bytes(
        message(
            "اجتماع الغد — 明日の会議",
            "",
            ("Layla Hassan", "layla@example.org"),
            [("佐藤 花子", "hanako@example.jp")],
            datetime(2024, 3, 6, 14, 0, tzinfo=UTC),
            "<CAF5678.msg-fixture-2@example.org>",
            [],
            html="<html><body><p>الاجتماع غداً في العاشرة.</p><p>会議は明日の十時です。"
            "<b>北京</b>の件も。</p></body></html>".encode(),
        )
    )
