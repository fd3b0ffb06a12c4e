"""Coroutines run by asyncio: values across awaits, in the order the event loop runs them.

{
    "probes": {"val": "@val:value", "got": "@got:got", "results": "@res:results"},
    "order": [
        ("val", 0), ("got", 0), ("val", 1), ("got", 1), ("val", 4), ("got", 4),
        ("results", [0, 1, 4]),
    ],
}
"""

import asyncio


async def produce(n):
    await asyncio.sleep(0)
    value = n * n  # @val
    return value


async def main():
    results = []
    for n in range(3):
        got = await produce(n)  # @got
        results.append(got)
    return results


results = asyncio.run(main())  # @res
