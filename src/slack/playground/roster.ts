/**
 * The playground's people: one of each kind a deploy involves, so a newcomer can act as each in
 * turn. The built-in demo's `access:` names them; the fake Slack answers users.info and
 * usergroups.users.list for them, as a workspace would.
 */
export interface PlaygroundPerson {
  id: string;
  name: string;
  /** What the demo lets them do, shown in the user picker. */
  role: string;
}

export const PLAYGROUND_TEAM = 'T0PLAYGROUND';
export const PLAYGROUND_CHANNEL = { id: 'C0PLAYGROUND', name: 'playground' } as const;
export const PLAYGROUND_BOT = { id: 'UAPOLLOBOT', name: 'apollo' } as const;

export const REQUESTER: PlaygroundPerson = { id: 'U0ALICE', name: 'alice', role: 'requester: deploys, approves others’ deploys' };
export const APPROVER: PlaygroundPerson = { id: 'U0BOB', name: 'bob', role: 'approver' };
export const OPS_MEMBER: PlaygroundPerson = { id: 'U0CAROL', name: 'carol', role: 'deploys and approves through @ops' };
export const OUTSIDER: PlaygroundPerson = { id: 'U0DAVE', name: 'dave', role: 'outsider: may only read' };

export const ROSTER: readonly PlaygroundPerson[] = [REQUESTER, APPROVER, OPS_MEMBER, OUTSIDER];

/** The approvers' usergroup. */
export const OPS_GROUP = { id: 'S0OPS', handle: 'ops', members: [OPS_MEMBER.id] } as const;

/** What users.info answers for the roster (names for mentions; everyone a full member). */
export function rosterUsers(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    ROSTER.map((p) => [p.id, { name: p.name, real_name: p.name[0]!.toUpperCase() + p.name.slice(1), team_id: PLAYGROUND_TEAM, profile: { display_name: p.name, real_name: p.name } }]),
  );
}

export function personById(id: string): PlaygroundPerson | undefined {
  return ROSTER.find((p) => p.id === id);
}
