"""Django admin titles that our French catalogue words differently from Django's own.

Django's French writes "Ajout de %s", "Modification de %s", "Affichage de %s" before every model name,
which gives "Modification de objectif", "Ajout de offre", "Affichage de import": French elides "de"
before a vowel. The titles name the model in a form that reads for any name ("Modification : objectif").
Catalogues in LOCALE_PATHS take precedence over Django's, so ours only has to hold these msgids; this
module holds them in the code, so that `make messages` (makemessages) keeps them in the catalogue.
Nothing imports it.
"""

from django.utils.translation import gettext_noop

ADMIN_TITLES = (gettext_noop("Add %s"), gettext_noop("Change %s"), gettext_noop("View %s"))
