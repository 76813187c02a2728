"""The key and the data folder, with `python -m bot` as a real process: the key is kept apart
from the data, a missing or wrong key refuses to start (one line, exit 2), one bot per data
folder (a lock that a killed process does not leave behind), and `key rotate` (resumable)."""

from __future__ import annotations

import asyncio
import signal
import sys
from asyncio.subprocess import DEVNULL, PIPE
from pathlib import Path

from bot.services.crypto import Cipher, new_key, read_key_file
from db import rekey, reports, users
from db.engine import Database
from sandbox import Sandbox
from tests.e2e.helpers import started
from tests.e2e.test_process import bot_env, run_bot_process, spawn_bot


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"


async def fill(tmp_path: Path, cipher: Cipher) -> int:
    """A person and a report with a file, as the bot stores them; returns the report's id."""
    database = Database(db_url(tmp_path), cipher=cipher)
    try:
        await users.record_user(
            database, user_id=4242, first_name="Айнура", username=None, telegram_language="ky"
        )
        report = await reports.create_report(
            database,
            reports.ReportDraft("torture", "osh_city", "what happened", "today", False, True),
            reports.Reporter(4242, ""),
            lang="ky",
            files_dir=tmp_path / "data",
        )
        await reports.add_files(
            database,
            report.id,
            [reports.FileIn("photo", "p", b"\xff\xd8 photo")],
            files_dir=tmp_path / "data",
        )
        return report.id
    finally:
        await database.dispose()


async def readable(tmp_path: Path, cipher: Cipher, report_id: int) -> None:
    database = Database(db_url(tmp_path), cipher=cipher)
    try:
        assert await rekey.remaining(database) == 0
        full = await reports.get_report(database, report_id)
        assert full is not None and full.text == "what happened"
        assert reports.read_attachment(database, tmp_path / "data", full.attachments[0]) == (
            b"\xff\xd8 photo"
        )
        assert await reports.is_reporter(database, report_id, 4242)
    finally:
        await database.dispose()


async def test_a_missing_or_wrong_key_refuses_to_start_with_one_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    env = bot_env(tmp_path, sandbox.url)
    key_file = tmp_path / "keys" / "data.key"
    key_file.parent.mkdir()
    key_file.write_text(new_key() + "\n")
    await fill(tmp_path, Cipher(read_key_file(key_file)[0]))

    key_file.unlink()  # lost: today's bot would write a new key and then crash
    code, log = await run_bot_process(env, tmp_path)
    assert code == 2, log
    lines = log.strip().splitlines()
    assert lines[-1].startswith("Key error: no data key was found"), log
    assert all(line.startswith("20") for line in lines[:-1])
    assert not key_file.exists(), "no new key may be written over the loss"

    key_file.write_text(new_key() + "\n")  # another key
    code, log = await run_bot_process(env, tmp_path)
    assert code == 2 and log.strip().splitlines()[-1].startswith("Key error: the data key"), log
    # So does `db upgrade`.
    code, _out, err = await run_cli(env, tmp_path, "db", "upgrade")
    assert code == 2 and err.strip().splitlines()[-1].startswith("Key error"), err
    assert sandbox.breaches == []


async def test_a_second_bot_on_the_same_data_folder_refuses_and_a_killed_one_leaves_no_lock(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    env = bot_env(tmp_path, sandbox.url)

    async def polling() -> None:
        polls = sum(1 for m, _ in sandbox.calls if m == "getUpdates")
        await sandbox.wait_for(
            lambda: sum(1 for m, _ in sandbox.calls if m == "getUpdates") > polls, timeout=30
        )

    first = await spawn_bot(env, tmp_path, log=DEVNULL)
    try:
        await polling()
        code, log = await run_bot_process(env, tmp_path)
        assert code == 1, log
        assert (
            log.strip()
            .splitlines()[-1]
            .startswith(f"Another bot process (pid {first.pid}) is using the data folder")
        ), log
        # Nor can a rotation run under it.
        code, _out, err = await run_cli(env, tmp_path, "key", "rotate")
        assert code == 1 and "Another bot process" in err, err
    finally:
        first.kill()  # no clean shutdown: the kernel drops the lock with the process
        await first.wait()
    second = await spawn_bot(env, tmp_path, log=DEVNULL)
    try:
        await polling()
        user = await started(sandbox, "Alia", "en")
        assert user.last_bot_message() is not None
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0
    assert sandbox.breaches == []


async def test_key_rotate_re_encrypts_everything_and_can_be_resumed(tmp_path: Path) -> None:
    env = bot_env(tmp_path, "http://127.0.0.1:9")
    key_file = tmp_path / "keys" / "data.key"
    code, out, _ = await run_cli(env, tmp_path, "key")
    assert code == 0 and len(out.strip()) == 44  # `python -m bot key` still prints a key
    key_file.parent.mkdir()
    old = new_key()
    key_file.write_text(old + "\n")
    report_id = await fill(tmp_path, Cipher(old))

    code, _out, err = await run_cli(env, tmp_path, "key", "rotate")
    assert code == 0, err
    (new,) = read_key_file(key_file)
    assert new != old
    await readable(tmp_path, Cipher(new), report_id)
    assert key_file.stat().st_mode & 0o777 == 0o600

    # Interrupted half-way: the key file holds the new key and the old one, part of the data
    # is under each. Running it again goes on with the same new key.
    newer = new_key()
    key_file.write_text(f"{newer}\n{new}\n")
    half = Database(db_url(tmp_path), cipher=Cipher(newer, previous=[new]))
    try:
        await rekey._rotate_table(
            half,
            rekey.Base.metadata.tables["users"],
            tmp_path / "data",
            {},
            rekey.RotationReport(),
        )
        assert await rekey.remaining(half) > 0
    finally:
        await half.dispose()
    code, _out, err = await run_cli(env, tmp_path, "key", "rotate")
    assert code == 0, err
    assert "Continuing the key rotation" in err
    assert read_key_file(key_file) == [newer]
    await readable(tmp_path, Cipher(newer), report_id)


async def test_the_bot_finishes_an_interrupted_rotation_before_it_starts(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    env = bot_env(tmp_path, sandbox.url)
    key_file = tmp_path / "keys" / "data.key"
    key_file.parent.mkdir()
    old, new = new_key(), new_key()
    key_file.write_text(old + "\n")
    report_id = await fill(tmp_path, Cipher(old))
    key_file.write_text(f"{new}\n{old}\n")  # as `key rotate` leaves it when killed

    process = await spawn_bot(env, tmp_path)
    try:
        await sandbox.wait_for(lambda: any(m == "getUpdates" for m, _ in sandbox.calls), 30)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert "Key rotation done" in err.decode()
    assert read_key_file(key_file) == [new]
    await readable(tmp_path, Cipher(new), report_id)


async def test_rotation_with_data_key_uses_data_key_previous(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    report_id = await fill(tmp_path, Cipher(old))
    env = bot_env(tmp_path, "http://127.0.0.1:9") | {"DATA_KEY": old}
    code, _out, err = await run_cli(env, tmp_path, "key", "rotate")
    assert code == 2 and "DATA_KEY_PREVIOUS" in err.strip().splitlines()[-1], err
    env |= {"DATA_KEY": new, "DATA_KEY_PREVIOUS": old}
    code, _out, err = await run_cli(env, tmp_path, "key", "rotate")
    assert code == 0, err
    assert "remove DATA_KEY_PREVIOUS" in err and old not in err and new not in err
    await readable(tmp_path, Cipher(new), report_id)
    assert not (tmp_path / "keys").exists()  # no key file is made with DATA_KEY
