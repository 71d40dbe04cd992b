/**
 * The Web API methods the bot calls, and the bot scopes each needs: the code's side of
 * slack/manifest.yml. test/slack/manifest.test.ts finds every call in the source and fails when a
 * method is missing here, or when the manifest's scopes are not exactly what this table needs.
 */
export const WEB_API_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  // filesUploadV2 (the Logs button) is these two calls and an upload to the URL the first returns.
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'users.info': ['users:read'],
  'usergroups.users.list': ['usergroups:read'],
  // The Destroy modal; a card's link in a cloud's deploy history. Neither needs a scope.
  'views.open': [],
  // The App Home tab (the app_home_opened event needs no scope either).
  'views.publish': [],
  'chat.getPermalink': [],
  // `apollo doctor`: is the bot in the configured channels (public, private).
  'conversations.info': ['channels:read', 'groups:read'],
};

/** Scopes that no single method call needs, and why the bot asks for them. */
export const FEATURE_SCOPES: Readonly<Record<string, string>> = {
  commands: 'the /apollo slash command',
  'chat:write.public': 'cards and notifications in public channels nobody invited the bot to (`channel`, notification routes)',
};

/** Every bot scope the code needs. */
export function requiredScopes(): string[] {
  return [...new Set([...Object.values(WEB_API_SCOPES).flat(), ...Object.keys(FEATURE_SCOPES)])].sort();
}
