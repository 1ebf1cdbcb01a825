"""The campaign_send baseline's consumer process: a bare aio-pika consume + httpx POST loop.

    python -m tests.bench.raw_consumer AMQP_URL QUEUE EVOLUTION_URL API_KEY [--prefetch 10]

Each message is JSON ``{"instance", "number", "text"}``: one ``POST /message/sendText/{instance}``
to Evolution, then the ack, one message after the other (``--loops`` concurrent loops, 1 by
default), with the broker's prefetch as our consumers have it. No Django, no database. Prints
"ready" once it consumes; runs until SIGTERM.
"""

import argparse
import asyncio
import json
import signal

import aio_pika
import httpx


async def send_loop(queue, http: httpx.AsyncClient) -> None:
    async with queue.iterator() as messages:
        async for message in messages:
            job = json.loads(message.body)
            response = await http.post(
                f"/message/sendText/{job['instance']}",
                json={"number": job["number"], "text": job["text"]},
            )
            response.raise_for_status()
            await message.ack()


async def main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    connection = await aio_pika.connect(args.amqp_url, timeout=10)
    headers = {"apikey": args.api_key}
    async with connection, httpx.AsyncClient(base_url=args.evolution_url, headers=headers) as http:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=args.prefetch)
        queue = await channel.declare_queue(args.queue, passive=True)
        loops = [asyncio.create_task(send_loop(queue, http)) for _ in range(args.loops)]
        print("ready", flush=True)
        done, _pending = await asyncio.wait(
            [asyncio.create_task(stop.wait()), *loops], return_when=asyncio.FIRST_COMPLETED
        )
        for task in loops:
            task.cancel()
        for task in done:
            task.result()  # a loop that failed says why


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("amqp_url", "queue", "evolution_url", "api_key"):
        parser.add_argument(name)
    parser.add_argument("--prefetch", type=int, default=10)
    parser.add_argument("--loops", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
