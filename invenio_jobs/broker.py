# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What the broker and the workers hold: finding a run's message by its task id.

A queued run whose message was handed to the broker but that no worker
took is either waiting (a backlog), held by a worker (prefetched, or
running), or lost (a broker restarted without persistence, a worker that
died holding it). Counting messages cannot tell these apart when other
messages share the queue, so each message is looked for by its task id:

- :func:`find_messages` reads, on Redis, every queue's messages and the
  messages delivered but not yet acknowledged (``unacked``), in one Lua
  script that returns only the task ids asked for; other transports cannot
  be read without taking the messages, and report the number of messages
  waiting in each queue instead;
- :func:`held_by_workers` asks the live workers which tasks they hold;
- :func:`restore_unacked` puts a message that a dead worker held back in its
  queue, as kombu itself does after ``visibility_timeout`` (an hour by
  default);
- :class:`BrokerOutage` logs one line when the broker goes away and one when
  it is back.

Nothing here touches the database.
"""

import logging
from dataclasses import dataclass, field

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import ChannelError, OperationalError

from .database import Outage


class BrokerOutage(Outage):
    """One log line when the broker goes away, one when it is back."""

    service = "the broker"


BROKER_OUTAGE = BrokerOutage("Job system", logging.getLogger(__name__))
"""The broker outage of this process: whatever meets it first (sending runs,
the beat's maintenance task, the maintenance task's look for messages) logs
its start, whatever succeeds first logs its end."""


def is_broker_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the broker cannot be reached now.

    kombu raises its ``OperationalError`` once its own retries of a publish
    are spent; a client may also raise the socket's error directly.
    """
    if isinstance(error, (OperationalError, AMQPConnectionError, OSError)):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # no Redis client: not a Redis error
        return False
    return isinstance(error, (RedisConnectionError, RedisTimeoutError))


_FIND_SCRIPT = """
local wanted = {}
for i = 1, #ARGV do wanted[ARGV[i]] = true end
local found = {}
local pattern = '"id"%s*:%s*"([^"]+)"'
for k = 1, #KEYS - 1 do
  local length = redis.call('LLEN', KEYS[k])
  local start = 0
  while start < length do
    local chunk = redis.call('LRANGE', KEYS[k], start, start + 999)
    for _, message in ipairs(chunk) do
      local id = string.match(message, pattern)
      if id and wanted[id] then
        found[#found + 1] = ''
        found[#found + 1] = id
      end
    end
    start = start + 1000
  end
end
local unacked = redis.call('HGETALL', KEYS[#KEYS])
for i = 1, #unacked, 2 do
  local id = string.match(unacked[i + 1], pattern)
  if id and wanted[id] then
    found[#found + 1] = unacked[i]
    found[#found + 1] = id
  end
end
return found
"""
"""Finds task ids in Redis queues (``KEYS`` but the last) and in the hash of
unacknowledged messages (the last key); returns ``(where, task id)`` pairs,
``where`` empty for a queue or the delivery tag of an unacknowledged one.
A message's first ``"id"`` key is its task id: Celery's headers carry it,
and the body before them is base64. Atomic, so no message is seen moving."""


@dataclass
class Found:
    """Where the broker holds the messages of some task ids."""

    searched: bool
    """The messages themselves were read (Redis): ``queued`` and ``unacked``
    are exact. Otherwise only ``depths`` are known."""
    queued: set = field(default_factory=set)
    """Task ids of messages waiting in a queue."""
    unacked: dict = field(default_factory=dict)
    """Task id -> delivery tag of messages delivered and not acknowledged."""
    depths: dict = field(default_factory=dict)
    """Messages waiting in each queue, where they could not be read."""


def find_messages(celery_app, queues, task_ids) -> Found:
    """Where the broker holds messages of ``task_ids`` (on these queues).

    One round trip on Redis, whatever the number of messages; on other
    transports, one passive declaration per queue. Raises what the broker
    raises when it cannot be reached.
    """
    if celery_app.conf.task_always_eager:  # no broker in between
        return Found(searched=True)
    with celery_app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1)
        if connection.transport.driver_type == "redis":
            return _find_in_redis(connection.default_channel, queues, task_ids)
        return Found(searched=False, depths=_depths(connection, queues))


def _find_in_redis(channel, queues, task_ids) -> Found:
    prefix = channel.global_keyprefix
    keys = []
    for queue in sorted(set(queues)):
        for priority in channel.priority_steps:
            key = prefix + channel._q_for_pri(queue, priority)
            if key not in keys:
                keys.append(key)
    keys.append(prefix + channel.unacked_key)
    reply = channel.client.eval(
        _FIND_SCRIPT, len(keys), *keys, *sorted({str(i) for i in task_ids})
    )
    found = Found(searched=True)
    for where, task_id in zip(reply[::2], reply[1::2]):
        where, task_id = _text(where), _text(task_id)
        if where:
            found.unacked[task_id] = where
        else:
            found.queued.add(task_id)
    return found


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _depths(connection, queues) -> dict:
    depths = {}
    for queue in queues:
        with connection.channel() as channel:
            try:
                _, count, _ = channel.queue_declare(queue=queue, passive=True)
            except (ChannelError, *connection.channel_errors):
                count = 0  # a queue the broker does not know holds nothing
        depths[queue] = count
    return depths


def restore_unacked(celery_app, tags) -> int:
    """Put unacknowledged messages back in their queues; how many were.

    kombu's own restore (the one it runs after ``visibility_timeout``): a
    transaction that removes the message from the unacknowledged ones and
    pushes it back, marked redelivered, so that two callers restore it
    once. Redis only.
    """
    if not tags:
        return 0
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        channel = connection.default_channel
        client = channel.client
        # HEXISTS is not among the commands kombu's prefixed client prefixes.
        unacked = channel.global_keyprefix + channel.unacked_key
        restored = 0
        for tag in tags:
            if client.hexists(unacked, tag):
                channel.qos.restore_by_tag(tag, client=client)
                restored += 1
        return restored


def held_by_workers(celery_app, timeout: float = 1.0) -> set:
    """Task ids the live workers hold: received (prefetched) or running.

    A worker that does not answer within ``timeout`` is taken to hold
    nothing. Raises what the broker raises when it cannot be reached.
    """
    if celery_app.conf.task_always_eager:
        return set()
    inspect = celery_app.control.inspect(timeout=timeout)
    held = set()
    for method in (inspect.reserved, inspect.active):
        for tasks in (method() or {}).values():
            for task in tasks:
                request = task.get("request", task)
                held.add(str(request.get("id")))
    return held


def live_workers(celery_app, workers, timeout: float = 1.0) -> set:
    """Which of these Celery workers (``name@host``) answer a ping now."""
    names = sorted(w for w in workers if w and "@" in w)
    if not names:
        return set()
    try:
        replies = celery_app.control.ping(destination=names, timeout=timeout)
    except Exception:  # noqa: BLE001 -- unknown: call them lost
        return set()
    return {name for reply in replies for name in reply}
