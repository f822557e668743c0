"""Android mmssms.db, made with the tables Android's telephony provider creates."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from source_helpers import assert_parses_or_names_file, split_records

from lifelog.sources import detect
from lifelog.sources.chat.android_sms import AndroidSmsSource

SOURCE = AndroidSmsSource()

# MmsSmsDatabaseHelper (AOSP packages/providers/TelephonyProvider): the tables read, and
# some of their neighbours
SCHEMA = """
CREATE TABLE sms (_id INTEGER PRIMARY KEY,thread_id INTEGER,address TEXT,person INTEGER,
  date INTEGER,date_sent INTEGER DEFAULT 0,protocol INTEGER,read INTEGER DEFAULT 0,
  status INTEGER DEFAULT -1,type INTEGER,reply_path_present INTEGER,subject TEXT,body TEXT,
  service_center TEXT,locked INTEGER DEFAULT 0,sub_id INTEGER DEFAULT -1,
  error_code INTEGER DEFAULT 0,creator TEXT,seen INTEGER DEFAULT 0);
CREATE TABLE pdu (_id INTEGER PRIMARY KEY AUTOINCREMENT,thread_id INTEGER,date INTEGER,
  date_sent INTEGER DEFAULT 0,msg_box INTEGER,read INTEGER DEFAULT 0,m_id TEXT,sub TEXT,
  sub_cs INTEGER,ct_t TEXT,ct_l TEXT,exp INTEGER,m_cls TEXT,m_type INTEGER,v INTEGER,
  m_size INTEGER,pri INTEGER,rr INTEGER,rpt_a INTEGER,resp_st INTEGER,st INTEGER,tr_id TEXT,
  retr_st INTEGER,retr_txt TEXT,retr_txt_cs INTEGER,read_status INTEGER,ct_cls INTEGER,
  resp_txt TEXT,d_tm INTEGER,d_rpt INTEGER,locked INTEGER DEFAULT 0,
  sub_id INTEGER DEFAULT -1,seen INTEGER DEFAULT 0,creator TEXT,text_only INTEGER DEFAULT 0);
CREATE TABLE part (_id INTEGER PRIMARY KEY AUTOINCREMENT,mid INTEGER,seq INTEGER DEFAULT 0,
  ct TEXT,name TEXT,chset INTEGER,cd TEXT,fn TEXT,cid TEXT,cl TEXT,ctt_s INTEGER,ctt_t TEXT,
  _data TEXT,text TEXT);
CREATE TABLE addr (_id INTEGER PRIMARY KEY,msg_id INTEGER,contact_id INTEGER,address TEXT,
  type INTEGER,charset INTEGER);
CREATE TABLE threads (_id INTEGER PRIMARY KEY AUTOINCREMENT,date INTEGER DEFAULT 0,
  message_count INTEGER DEFAULT 0,recipient_ids TEXT,snippet TEXT,snippet_cs INTEGER DEFAULT 0,
  read INTEGER DEFAULT 1,archived INTEGER DEFAULT 0,type INTEGER DEFAULT 0,
  error INTEGER DEFAULT 0,has_attachment INTEGER DEFAULT 0);
CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY AUTOINCREMENT,address TEXT);
CREATE TABLE words (_id INTEGER PRIMARY KEY,index_text TEXT,source_id INTEGER,
  table_to_use INTEGER);
"""
WHEN = datetime(2023, 6, 19, 23, 15, 3, tzinfo=UTC)
MS = int(WHEN.timestamp() * 1000)


def make_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO canonical_addresses (_id, address) VALUES (1, '+15555550100')")
    db.execute("INSERT INTO threads (_id, recipient_ids, snippet) VALUES (1, '1', 'Great!')")
    db.executemany(
        "INSERT INTO sms (_id, thread_id, address, date, type, body, read)"
        " VALUES (?, 1, ?, ?, ?, ?, 1)",
        [
            (1, "+1 (555) 555-0100", MS, 1, "Back from camping! The kids loved the dunes. 🏕"),
            (2, "+15555550100", MS + 60_000, 2, "Great! Café tomorrow?\nAt 10"),
            (3, None, MS + 90_000, 1, "no address"),
        ],
    )
    db.execute(
        "INSERT INTO pdu (_id, thread_id, date, msg_box, m_id, sub) VALUES"
        " (1, 2, ?, 1, 'mid-1@example', NULL)",
        (MS // 1000 + 120,),
    )
    db.executemany(
        "INSERT INTO part (mid, seq, ct, cl, text) VALUES (1, ?, ?, ?, ?)",
        [
            (-1, "application/smil", "smil.xml", "<smil/>"),
            (0, "image/jpeg", "IMG_0001.jpg", None),
            (1, "text/plain", "text_0.txt", "Look at the dunes"),
        ],
    )
    db.executemany(
        "INSERT INTO addr (msg_id, address, type) VALUES (1, ?, ?)",
        [("+15555550100", 137), ("insert-address-token", 151), ("+15555550199", 130)],
    )
    db.commit()
    db.close()
    return path


def test_texts_and_mms(tmp_path: Path) -> None:
    items, skips = split_records(SOURCE, make_db(tmp_path / "mmssms.db"))
    received, sent, mms = items
    assert received.text == "Back from camping! The kids loved the dunes. 🏕"
    assert received.author == "+1 (555) 555-0100" and received.timestamp == WHEN
    assert received.thread == sent.thread == "sms:+15555550100"
    assert sent.author == "Me" and sent.metadata["direction"] == "sent"
    assert mms.text == "Look at the dunes" and mms.metadata["attachments"] == ["IMG_0001.jpg"]
    assert mms.author == "+15555550100" and mms.key == "mms/mid-1@example"
    assert mms.participants == ("+15555550100", "+15555550199", "Me")
    assert [(s.position, s.reason) for s in skips] == [("sms _id 3", "sms without an address")]


def test_recognised_by_its_tables_whatever_its_name(tmp_path: Path) -> None:
    path = make_db(tmp_path / "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678")
    found = detect(path)
    assert found is not None and found.name == "android_sms"


def test_texts_without_mms_tables_and_odd_values(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE sms (_id INTEGER PRIMARY KEY, address TEXT, date INTEGER, body)")
    db.execute("CREATE TABLE threads (_id INTEGER PRIMARY KEY)")
    db.executemany(
        "INSERT INTO sms VALUES (?, ?, ?, ?)",
        [(1, "Bank", "not a date", b"\xff\xfe bytes"), (2, "x@example.org", -5, None)],
    )
    db.commit()
    db.close()
    items, skips = split_records(SOURCE, path)
    assert [i.timestamp for i in items] == [None, None] and not skips
    assert items[1].thread == "sms:x@example.org"


def test_damaged_database(tmp_path: Path) -> None:
    path = make_db(tmp_path / "mmssms.db")
    data = path.read_bytes()
    for size in (100, 5000, len(data) // 2):
        cut = tmp_path / f"cut{size}" / "mmssms.db"
        cut.parent.mkdir()
        cut.write_bytes(data[:size])
        assert_parses_or_names_file(SOURCE, cut)
    broken = bytearray(data)
    broken[4096:8192] = b"\xa5" * 4096
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "mmssms.db").write_bytes(bytes(broken))
    assert_parses_or_names_file(SOURCE, tmp_path / "broken" / "mmssms.db")
