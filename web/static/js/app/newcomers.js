// A member's inbox, item and members pages give the team key to the practice's newcomers
// (app/team.js addNewcomers) in the background once the keys are open: a secretary assigned
// or a member granted since reads the instructions and requests without waiting for a member
// to open the instructions page. Failures are silent here: the next page load tries again,
// and the newcomer's desk says it is waiting for a member.
import { addNewcomers } from "./team.js";

export function welcomeNewcomers(unlocked) {
  if (!unlocked || !unlocked.practice) return Promise.resolve(false);
  return addNewcomers(unlocked.practice.id, { me: unlocked }).catch(() => false);
}
