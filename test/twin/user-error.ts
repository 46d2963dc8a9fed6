// The message of the UserError a call throws, for tests of error messages.
import * as assert from "uvu/assert";
import { UserError } from "../../src/util/errors.js";

/** The UserError message thrown by fn (fails if fn does not throw one, or if the message spans lines). */
export function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    const msg = (e as Error).message;
    assert.not.match(msg, "\n");
    return msg;
  }
  assert.unreachable("expected a UserError");
  return "";
}
