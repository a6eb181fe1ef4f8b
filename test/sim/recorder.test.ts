/** The recorder: columns decode to the events recorded; fingerprints; CSV export. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Recorder } from "../../sim/recorder.js";
import { toCsv } from "../../sim/csv.js";

test("events() decodes exactly what record() stored", () => {
  const r = new Recorder();
  r.record(5, "w1", {
    kind: "task.submitted",
    taskId: "t1",
    name: "f",
    cause: "original",
    taskKind: "task",
    attempt: 0,
  });
  r.record(9, "w2", { kind: "object.created", objectId: "t1:0", sizeBytes: 1e6 });
  assert.deepEqual(
    [...r.events()],
    [
      {
        kind: "task.submitted",
        tUs: 5,
        node: "w1",
        taskId: "t1",
        name: "f",
        cause: "original",
        taskKind: "task",
        attempt: 0,
      },
      { kind: "object.created", tUs: 9, node: "w2", objectId: "t1:0", sizeBytes: 1e6 },
    ],
  );
  assert.equal(r.countOf("object.created"), 1);
});

test("fingerprint() changes with any field and is equal for equal traces", () => {
  const make = (size: number) => {
    const r = new Recorder({ keepEvents: false });
    r.record(5, "w1", { kind: "object.created", objectId: "t1:0", sizeBytes: size });
    return r.fingerprint();
  };
  assert.equal(make(1), make(1));
  assert.notEqual(make(1), make(2));
  assert.match(make(0.5), /^[0-9a-f]{16}$/);
});

test("toCsv() writes a header and one line per row, quoting where needed", () => {
  const csv = toCsv([
    { a: 1, b: "x,y", c: [1, 2] },
    { a: 2, b: "z", c: [] },
  ]);
  assert.equal(csv, 'a,b,c\n1,"x,y",1 2\n2,z,\n');
});
