import assert from "node:assert/strict";
import {
  IdleScavenger,
  provokeScavenges,
  QUIET_COMMANDS_PER_TICK,
  QUIET_TICKS,
  SCAVENGE_WORTH_BYTES,
  youngSpace,
} from "../../../src/util/idle_scavenge.ts";

const youngInUse = () => youngSpace().used;

/** Keeps young objects alive, as a burst of writes leaves them, until the young generation holds `bytes`. */
function fillYoung(bytes: number): unknown[] {
  const kept: unknown[] = [];
  for (let i = 0; i < 1_000_000 && youngInUse() < bytes; i++) kept.push({ i, s: `value:${i}` });
  assert.ok(youngInUse() >= bytes, `young generation at ${youngInUse()} bytes`);
  return kept;
}

/** A young generation capped below the tests' garbage (`--max-semi-space-size=2`) leaves nothing to test. */
const ignore = /--max-semi-space-size=[0-7]\b/.test(Deno.env.get("DENO_V8_FLAGS") ?? "");

Deno.test({
  name: "provoking scavenges runs two of them and leaves the young generation nearly empty",
  ignore,
}, () => {
  const kept = fillYoung(SCAVENGE_WORTH_BYTES);
  assert.equal(provokeScavenges(), 2);
  assert.ok(youngInUse() < SCAVENGE_WORTH_BYTES, `${youngInUse()} bytes still young`);
  assert.ok(kept.length > 0, "what was kept survives");
});

Deno.test({
  name: "the young generation is emptied only after quiet ticks, never while clients are served",
  ignore,
}, () => {
  const scavenger = new IdleScavenger();
  let commands = 0;
  const kept = fillYoung(2 * SCAVENGE_WORTH_BYTES);
  for (let i = 0; i < QUIET_TICKS + 2; i++) scavenger.tick(commands += 1000);
  assert.ok(youngInUse() >= SCAVENGE_WORTH_BYTES, "left alone while busy");
  for (let i = 0; i < QUIET_TICKS; i++) scavenger.tick(commands += QUIET_COMMANDS_PER_TICK);
  assert.ok(youngInUse() < SCAVENGE_WORTH_BYTES, `${youngInUse()} bytes still young`);
  assert.ok(kept.length > 0);
});
