"""Byte-level pieces of the online reader: Feast's key/value encodings and the RESP client."""

import asyncio
import os
import struct
import uuid

import mmh3
import pytest
import redis

from ml_model_services.common_service_libs.feast_layout import (
    decode_value,
    redis_field,
    serialize_entity_key,
)
from ml_model_services.common_service_libs.resp_client import (
    PipelinedRedis,
    RedisReplyError,
    RedisUnavailable,
    RespParser,
    _Incomplete,
    encode_command,
)

REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_entity_key_v3_layout() -> None:
    key = serialize_entity_key("user_id", 5)
    assert key == (
        struct.pack("<III", 1, 2, 7) + b"user_id" + struct.pack("<II", 4, 8) + struct.pack("<q", 5)
    )
    assert serialize_entity_key("user_id", "ab").endswith(struct.pack("<II", 2, 2) + b"ab")
    with pytest.raises(TypeError):
        serialize_entity_key("user_id", True)


def test_feast_value_decoding() -> None:
    assert decode_value(None) is None and decode_value(b"") is None
    assert decode_value(b"\x20\x05") == 5  # int64_val = 5
    minus_one = b"\x20" + b"\xff" * 9 + b"\x01"  # int64 -1 as a 10-byte varint
    assert decode_value(minus_one) == -1
    assert decode_value(b"\x29" + struct.pack("<d", 2.5)) == 2.5  # double_val
    assert decode_value(b"\x12\x03" + "ÖS".encode()) == "ÖS"  # string_val (3 utf-8 bytes)
    assert decode_value(b"\x98\x01\x00") is None  # null_val (field 19)
    with pytest.raises(ValueError, match="unsupported"):
        decode_value(b"\x5a\x00")  # string_list_val: not a contract type
    # Feast's helpers._mmh3: first 4 bytes of the little-endian u64 of the unsigned hash
    h = mmh3.hash("user_profile:age", signed=False)
    assert redis_field("user_profile", "age") == bytes.fromhex(struct.pack("<Q", h).hex()[:8])


def test_resp_parser_is_incremental() -> None:
    parser = RespParser()
    reply = b"*3\r\n$2\r\nab\r\n$-1\r\n$0\r\n\r\n"
    for i in range(len(reply) - 1):
        parser.feed(reply[i : i + 1])
        with pytest.raises(_Incomplete):
            parser.pop()
    parser.feed(reply[-1:] + b"-ERR wrong\r\n:7\r\n+PONG\r\n")
    assert parser.pop() == [b"ab", None, b""]
    assert isinstance(parser.pop(), RedisReplyError)
    assert parser.pop() == 7 and parser.pop() == b"PONG"


def test_pipelined_reads_from_real_redis() -> None:
    key = f"mlops-test-{uuid.uuid4().hex}".encode()
    direct = redis.Redis.from_url(REDIS_URL)
    # redis-py annotates key names as str; bytes keys are what the services read.
    direct.hset(key, mapping={b"a": b"1", b"b": b"\x00\xff"})  # type: ignore[arg-type]

    async def scenario() -> None:
        client = PipelinedRedis(REDIS_URL, timeout_s=2)
        tail = encode_command(b"a", b"b", b"missing")[len(b"*3\r\n") :]
        commands = [client.hmget_command(key, tail, 3) for _ in range(50)]
        many = await client.execute_many(commands)
        concurrent = await asyncio.gather(*[client.execute_many([c]) for c in commands])
        assert many == [[b"1", b"\x00\xff", None]] * 50
        assert [r[0] for r in concurrent] == many
        assert await client.ping()
        with pytest.raises(RedisReplyError):
            await client.execute_many([encode_command(b"NOSUCHCOMMAND")])
        assert await client.ping()  # an error reply keeps the connection usable
        await client.close()

    try:
        asyncio.run(scenario())
    finally:
        direct.delete(key)
        direct.close()


def test_unreachable_and_silent_servers_fail_fast_then_recover() -> None:
    async def scenario() -> None:
        accepted = []

        async def silent(reader, writer):
            accepted.append(writer)
            await reader.read(1 << 16)  # never answers

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = PipelinedRedis(f"redis://127.0.0.1:{port}/0", timeout_s=0.2)
        with pytest.raises(RedisUnavailable, match="no reply"):
            await client.ping()
        server.close()
        for writer in accepted:
            writer.close()
        await server.wait_closed()
        with pytest.raises(RedisUnavailable, match="cannot connect"):
            await client.ping()

        # A server that answers: the same client reconnects.
        async def pong(reader, writer):
            while await reader.read(1 << 16):
                writer.write(b"+PONG\r\n")
                await writer.drain()

        server = await asyncio.start_server(pong, "127.0.0.1", port)
        assert await client.ping()
        await client.close()
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())
