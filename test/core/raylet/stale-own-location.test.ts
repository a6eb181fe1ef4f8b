/**
 * Object-table writes are not ordered: a node's `object.add`, resent after a loss, can land after
 * the `object.remove` of a later eviction, so the table lists a copy on a node that has none. A
 * reader elsewhere finds out by pulling (the node answers pullFailed and removes the location
 * again); a reader on that very node has nobody to pull from, and waited forever on its own stale
 * location (swarm seed 6955). It removes the location again too, and the next entry, empty, tells
 * it the object is lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import type { GcsClient } from "../../../core/gcs/client.js";
import type { GcsOp } from "../../../core/gcs/messages.js";
import type { ObjectEntry } from "../../../core/gcs/tables.js";
import type { ObjectId } from "../../../core/ids.js";
import { ObjectManager } from "../../../core/raylet/object-manager.js";
import { ObjectStore } from "../../../core/raylet/object-store.js";
import { fakeEnv } from "../../support/fake-env.js";

const X = "t1:0" as ObjectId;

test("a node the object table lists for an object it lacks removes its location, then hears the object is lost", () => {
  const calls: Array<{ op: GcsOp; onReply?: (result: unknown) => void }> = [];
  const gcs = {
    call: (op: GcsOp, onReply?: (result: unknown) => void) => void calls.push({ op, onReply }),
    onTailChange: () => {},
    shardOf: () => 0,
  } as unknown as GcsClient;
  const lost: ObjectId[] = [];
  const sent: Array<{ to: Address; message: Message }> = [];
  const objects = new ObjectManager(
    fakeEnv({ self: "raylet@head" as Address, sent }),
    "head",
    0,
    new ObjectStore(1e9),
    gcs,
    { onLost: (id) => lost.push(id), onEvicted: () => {} },
  );
  objects.need(X, () => assert.fail("the object is gone; nothing can make it ready"));
  const subscribe = calls.find((c) => c.op.op === "object.subscribe")!;
  const stale: ObjectEntry = { objectId: X, locations: ["head"], sizeBytes: 10, fromPut: false };
  subscribe.onReply!(stale);
  assert.deepEqual(
    calls.filter((c) => c.op.op === "object.remove").map((c) => c.op),
    [{ op: "object.remove", objectId: X, node: "head" }],
    "the stale location is removed again",
  );
  assert.deepEqual(sent, [], "nobody to pull from");
  objects.onEntry(X, { ...stale, locations: [] });
  assert.deepEqual(lost, [X], "the entry, empty now, says the object is lost");
});
