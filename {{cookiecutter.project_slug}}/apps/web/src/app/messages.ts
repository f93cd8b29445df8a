// Every text the pages show, in English. `{name}` placeholders are filled in by `text()`.
export const messages = {
  postsHeading: 'Posts',
  filterLabel: 'Filter by title',
  refresh: 'Refresh',
  refreshing: 'Refreshing…',
  showing: 'Showing {count} of {total}',
  noMatch: 'No post matches this filter.',
  noPosts: 'No posts yet.',
  backendDown: 'The posts cannot be loaded right now. Please try again in a moment.',
  backToList: '← All posts',
  notFoundTitle: 'Page not found',
  notFoundBody: 'There is nothing at this address.',
  language: 'Language',
  skipToContent: 'Skip to content',
  footerNote: 'Rendered on the server, interactive in the browser.',
} as const;

/** Where these messages live in the i18n state (`translations["<locale>:common"]`). */
export const MESSAGES_NAMESPACE = 'common';

export type MessageKey = keyof typeof messages;
export type Messages = Record<MessageKey, string>;
