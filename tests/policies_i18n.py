"""Short privacy-policy texts in several languages, written for these tests in the style of
real EU policies (dates, rights, retention, transfers, recipients), one Markdown document per
language, as `watcher.extract` renders pages (one paragraph per line: the source below is
wrapped for reading and joined at import)."""

from __future__ import annotations

_WRAPPED: dict[str, str] = {
    "en": """# Privacy Policy

Last updated: 3 March 2023

We collect your name, your email address and your payment details to provide the service.
We keep your account data for as long as your account is open and delete it 30 days after you
close it. You have the right to access your personal data and to request the deletion of it. Some of our
providers are located outside the European Economic Area; we rely on the standard contractual
clauses of the European Commission for these transfers.
""",
    "fr": """# Politique de confidentialité

Mis à jour le 3 mars 2023

Nous collectons vos nom, adresse électronique et coordonnées bancaires afin de vous fournir le
service. Vos données sont conservées pendant 3 ans à compter de la fin de la relation
commerciale, puis supprimées. Vous disposez d'un droit d'accès, de rectification et
d'effacement de vos données personnelles. Certains de nos sous-traitants sont situés dans des
pays tiers ; ces transferts sont encadrés par les clauses contractuelles types de la Commission
européenne.
""",
    "de": """# Datenschutzerklärung

Stand: 1. Juli 2024

Wir verarbeiten Ihren Namen, Ihre E-Mail-Adresse und Ihre Zahlungsdaten, um den Dienst zu
erbringen. Ihre Daten werden für 6 Monate nach Beendigung des Vertrags gespeichert und danach
gelöscht. Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer personenbezogenen
Daten. Einige unserer Auftragsverarbeiter haben ihren Sitz in einem Drittland; die
Übermittlung erfolgt auf Grundlage der Standardvertragsklauseln der EU-Kommission.
""",
    "es": """# Política de privacidad

Última actualización: 12 de mayo de 2024

Tratamos su nombre, su dirección de correo electrónico y sus datos de pago para prestarle el
servicio. Conservaremos sus datos durante 5 años desde la finalización de la relación
contractual. Usted tiene derecho a acceder, rectificar y suprimir sus datos personales. Algunos
de nuestros proveedores se encuentran fuera del Espacio Económico Europeo.
""",
    "it": """# Informativa sulla privacy

Ultimo aggiornamento: 15 gennaio 2024

Il titolare del trattamento raccoglie il tuo nome, il tuo indirizzo email e i dati di
pagamento per fornire il servizio. I dati sono conservati per 24 mesi dalla chiusura
dell'account e poi cancellati. Hai il diritto di accesso, di rettifica e di cancellazione dei
tuoi dati personali. Alcuni dei nostri fornitori si trovano al di fuori dello Spazio Economico
Europeo.
""",
    "nl": """# Privacyverklaring

Laatst bijgewerkt op 1 februari 2024

Wij verwerken uw naam, uw e-mailadres en uw betaalgegevens om de dienst te kunnen leveren. Wij
bewaren uw gegevens niet langer dan 2 jaar na het beëindigen van uw account. U heeft het recht
op inzage, correctie en verwijdering van uw persoonsgegevens. Sommige van onze verwerkers zijn
gevestigd buiten de Europese Economische Ruimte.
""",
    "pt": """# Política de Privacidade

Última atualização: 10 de outubro de 2023

Tratamos o seu nome, o seu endereço de e-mail e os seus dados de pagamento para prestar o
serviço. Os seus dados pessoais são conservados durante 5 anos após o termo do contrato. Tem o
direito de aceder, retificar e apagar os seus dados pessoais. Alguns dos nossos subcontratantes
estão localizados fora do Espaço Económico Europeu.
""",
}

POLICIES: dict[str, str] = {
    lang: "\n\n".join(" ".join(p.split("\n")) for p in text.strip().split("\n\n")) + "\n"
    for lang, text in _WRAPPED.items()
}

# The date each policy above states, as ISO.
DATES = {
    "en": "2023-03-03",
    "fr": "2023-03-03",
    "de": "2024-07-01",
    "es": "2024-05-12",
    "it": "2024-01-15",
    "nl": "2024-02-01",
    "pt": "2023-10-10",
}
