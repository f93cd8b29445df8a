import type { Messages } from '../messages.js';

export const fr: Messages = {
  postsHeading: 'Articles',
  filterLabel: 'Filtrer par titre',
  refresh: 'Actualiser',
  refreshing: 'Actualisation…',
  showing: '{count} sur {total}',
  noMatch: 'Aucun article ne correspond à ce filtre.',
  noPosts: 'Aucun article pour le moment.',
  backendDown: 'Les articles ne peuvent pas être chargés pour le moment. Réessayez dans un instant.',
  backToList: '← Tous les articles',
  notFoundTitle: 'Page introuvable',
  notFoundBody: 'Il n’y a rien à cette adresse.',
  language: 'Langue',
  skipToContent: 'Aller au contenu',
  footerNote: 'Rendu sur le serveur, interactif dans le navigateur.',
};
