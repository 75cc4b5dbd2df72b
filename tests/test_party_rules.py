"""Party rules of issue 11: tables in several languages, legal forms, example lists, labels,
and the comparison (named nowhere before, renames, diff-aware names). The sentences are
written after real privacy policies (subsidiary lists, representatives, recipient tables)."""

from __future__ import annotations

from watcher.analysis.findings import analyze
from watcher.facts import extract_facts
from watcher.facts.parties import extract, legal_names, listed_names


def keys(text: str) -> dict[str, str]:
    return {f.key: f.value for f in extract(text)}


def findings(old: str, new: str, title: str | None = None) -> list:
    a = analyze(old, new, extract_facts(old), extract_facts(new), title=title)
    return [f for f in a.findings if f.kind.startswith("party_")]


def summary(fs: list) -> set[tuple[str, str | None, str | None]]:
    return {(f.kind, f.old, f.new) for f in fs}


# --------------------------------------------------------------------------- legal forms


def test_subsidiaries_listed_with_their_legal_forms() -> None:
    s = (
        "Acme, Inc. and its U.S. subsidiaries (Dogwood Labs, Inc., AgileCraft LLC, Halp, Inc., "
        "and Trello, Inc.) adhere to the Data Privacy Framework Principles."
    )
    assert [n for _, _, n in legal_names(s)] == [
        "Acme, Inc.",
        "Dogwood Labs, Inc.",
        "AgileCraft LLC",
        "Halp, Inc.",
        "Trello, Inc.",
    ]


def test_legal_forms_of_many_countries() -> None:
    s = (
        "Payments are processed by PayPal (Europe) S.à r.l. et Cie, S.C.A., by Adyen N.V. and "
        "by Worldpay (UK) Ltd; our Thai representative is Tilleke & Gibbins Digital Solutions "
        "Co., Ltd. and our Korean one Bae, Kim & Lee LLC; hosting: Lufthansa Systems GmbH & Co. "
        "KG, Cloudflare Capability Center (India) Private Limited and FOUNDSPOT S.L."
    )
    assert [n for _, _, n in legal_names(s)] == [
        "PayPal (Europe) S.à r.l. et Cie, S.C.A.",
        "Adyen N.V.",
        "Worldpay (UK) Ltd",
        "Tilleke & Gibbins Digital Solutions Co., Ltd.",
        "Bae, Kim & Lee LLC",
        "Lufthansa Systems GmbH & Co. KG",
        "Cloudflare Capability Center (India) Private Limited",
        "FOUNDSPOT S.L.",
    ]


def test_sentence_words_before_a_company_are_not_its_name() -> None:
    s = (
        "For secure payment we verify account access through Tink Germany GmbH (Munich). "
        "Contact Borlux Ltd for GDPR matters."
    )
    assert [n for _, _, n in legal_names(s)] == ["Tink Germany GmbH", "Borlux Ltd"]


def test_shouted_prose_and_weak_forms_are_not_companies() -> None:
    shouted = "YOU AGREE TO THIS PRIVACY POLICY AND WE MAY SHARE YOUR DATA AS REQUIRED BY LAW."
    assert legal_names(shouted) == []
    # "SA", "AS", "SE" are legal forms only after two capitalised words
    assert legal_names("Data is stored in Paris SA region") == []


def test_legal_form_names_become_parties_with_their_sentence() -> None:
    text = (
        "Partial advertising on our website is managed by Playwire LLC. The audio and video "
        "conferencing services are provided by our partner Alibaba Cloud Computing Co. Ltd. "
        "Alibaba Cloud will collect and process your personal information independently."
    )
    k = keys(text)
    assert k["playwire"] == "Playwire LLC"
    # the short name of a company named in full is the same party
    assert "alibaba cloud computing" in k and "alibaba cloud" not in k


def test_address_and_certificate_holders_are_not_recipients() -> None:
    text = (
        "Write to Acme Switzerland GmbH c/o Steinmann Services GmbH, Bahnhofstrasse 10, Zug. "
        "To view the certification of Acme Holdings LLC, visit the Safe Harbor site. "
        "iPhone is a trademark of Apple Inc., registered in the U.S."
    )
    k = keys(text)
    assert "steinmann services" not in k and "acme holdings" not in k and "apple" not in k


def test_group_company_of_the_owner_is_a_party() -> None:
    text = (
        'Cloudflare, Inc. ("Cloudflare", "we", "us") operates the websites. We have updated '
        "this policy to add our entities Cloudflare Sweden AB and Cloudflare Switzerland GmbH."
    )
    k = keys(text)
    assert "cloudflare sweden" in k and "cloudflare switzerland" in k
    assert "cloudflare" not in k


# --------------------------------------------------------------------------- tables


def test_french_recipient_table_name_column_and_row_details() -> None:
    text = (
        "| Nom | Qualité | Durée de conservation du prestataire | Transfert hors UE |\n"
        "| --- | --- | --- | --- |\n"
        "| Nom | Qualité | Durée de conservation du prestataire | Transfert hors UE |\n"
        "| Colis Privé | Destinataire des données | 13 mois | Non |\n"
        "| Mondial Relay | Sous-traitant | 6 mois | Non |\n"
    )
    fs = {f.key: f for f in extract(text)}
    assert set(fs) == {"colis privé", "mondial relay"}  # the repeated header is no party
    assert fs["colis privé"].detail["source"] == "table"


def test_spanish_table_cell_with_several_companies_and_transfer_country() -> None:
    text = (
        "| EMPRESA | POLÍTICA DE PRIVACIDAD | FINALIDAD | TRANSFERENCIA INTERNACIONAL |\n"
        "| --- | --- | --- | --- |\n"
        "| Riskified Ltd | https://www.riskified.com/terms/ | Detección del fraude. | Israel |\n"
        "| Worldpay B.V. <br>Worldpay (UK) Ltd <br>Worldpay AP Ltd | https://worldpay.com/"
        " | Procesador de pagos. | United Kingdom |\n"
    )
    fs = {f.value: f.detail for f in extract(text)}
    assert set(fs) == {"Riskified Ltd", "Worldpay B.V.", "Worldpay (UK) Ltd", "Worldpay AP Ltd"}
    assert fs["Riskified Ltd"]["purpose"].startswith("detección del fraude")
    assert fs["Riskified Ltd"]["country"] == "Israel"
    assert fs["Worldpay AP Ltd"]["country"] == "United Kingdom"


def test_vendor_table_detail_has_data_and_safeguard() -> None:
    text = (
        "| Vendor | Purpose | Country | Data categories | Safeguard |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| Zendesk, Inc. (legal@zendesk.example) | To support customer service | USA "
        "| Name, e-mail, messages | Standard Contractual Clauses |\n"
    )
    (f,) = extract(text)
    assert f.key == "zendesk"
    assert f.detail["purpose"].startswith("to support customer")
    assert f.detail["country"] == "USA"
    assert f.detail["data"] == "Name, e-mail, messages"
    assert f.detail["safeguard"] == "Standard Contractual Clauses"


def test_local_representatives_table() -> None:
    text = (
        "| Country | Local representative | Postal address |\n"
        "| --- | --- | --- |\n"
        "| Serbia | Mikijelj Jankovic Bogdanovic, attorneys at law | Vlajkoviceva 28, Belgrade |\n"
    )
    assert keys(text) == {"mikijelj jankovic bogdanovic": "Mikijelj Jankovic Bogdanovic"}


def test_descriptive_cells_and_other_tables_are_read_as_prose() -> None:
    text = (
        "| Third party | Disclosed data |\n"
        "| --- | --- |\n"
        "| Advertising partners, including, but not limited to, MoPub Inc. and Unity "
        "Technologies | Device identifiers |\n\n"
        "| Cookie | Purpose |\n"
        "| --- | --- |\n"
        "| Site features | We also use cookies from AddThis to let you share pages. |\n"
    )
    k = keys(text)
    assert "mopub" in k and "addthis" in k


# --------------------------------------------------------------------------- lists, labels


def test_names_listed_as_examples_of_recipients() -> None:
    s = (
        "We may share data with internal and external partners, such as Xandr, Verizon Media, "
        "or Facebook (see below), so that the ads you see are more relevant."
    )
    assert [n for _, _, n in listed_names(s)] == ["Xandr", "Verizon Media", "Facebook"]
    fr = "La Redoute utilise les services des prestataires Stripe, Payline, Monext et Paypal."
    assert [n for _, _, n in listed_names(fr)] == ["Stripe", "Payline", "Monext", "Paypal"]
    # data items, not recipients
    assert listed_names("We collect information such as your Name, Email and Address.") == []


def test_products_of_a_named_company_are_not_parties() -> None:
    text = (
        "Si vous utilisez les services de Meta Platforms Ireland Limited tels que Facebook et "
        "Instagram, consultez leur site."
    )
    assert set(keys(text)) == {"meta"}


def test_labelled_representative_without_legal_form() -> None:
    text = "* EU/UK Representative: Mishcon de Reya (representative@mishcon.example)"
    assert keys(text) == {"mishcon de reya": "Mishcon de Reya"}


def test_category_list_item_is_no_party() -> None:
    text = (
        "## Sharing your data with service providers\n"
        "- Billing services - to allow customers to purchase paid features\n"
        "- Authentication services - to allow customers to authenticate their account\n"
    )
    assert keys(text) == {}


# --------------------------------------------------------------------------- compare


def test_a_party_named_before_in_another_sentence_is_not_new() -> None:
    old = "We use cookies. Our site embeds videos from Vimeo for tutorials.\n"
    new = old + "We share usage data with our analytics provider Vimeo.\n"
    assert findings(old, new) == []


def test_a_product_of_a_company_already_named_is_not_new() -> None:
    old = "We use Google Fonts to display text.\n"
    new = old + "We use Google Analytics to measure visits.\n"
    assert findings(old, new) == []


def test_known_rename_is_one_finding() -> None:
    old = "We may share data with advertising partners, such as AppNexus, to show ads.\n"
    new = "We may share data with advertising partners, such as Xandr, to show ads.\n"
    (f,) = findings(old, new)
    assert (f.kind, f.old, f.new) == ("party_renamed", "AppNexus", "Xandr")
    assert f.to_dict()["detail"]["old_key"] == "appnexus"


def test_unknown_company_added_and_removed() -> None:
    old = "We use a third-party service provider, OpenWeb Technologies Ltd, to moderate comments.\n"
    new = "Partial advertising on our website is managed by Playwire LLC.\n"
    assert summary(findings(old, new)) == {
        ("party_added", None, "Playwire LLC"),
        ("party_removed", "OpenWeb Technologies Ltd", None),
    }


def test_diff_aware_name_in_an_added_sharing_sentence() -> None:
    old = "Boulanger traite vos données pour gérer vos commandes.\n"
    new = old + (
        "En cas d'impayé, Boulanger transfère à INTRUM vos coordonnées et le montant de la "
        "créance afin de procéder au recouvrement.\n"
    )
    assert summary(findings(old, new)) == {("party_added", None, "INTRUM")}


def test_diff_aware_never_takes_places_laws_or_defined_terms() -> None:
    old = "We keep your data safe.\n"
    new = old + (
        "We transfer data to our office in Munich under the Data Protection Act. "
        "We share your booking with the Accommodation Providers (“Providers”) you book with; "
        "accommodation providers receive your name.\n"
    )
    assert findings(old, new) == []


def test_owner_named_in_the_title_is_no_party() -> None:
    old = "We protect your data.\n"
    new = "We protect your data. Orders are processed by Acme Shop Services GmbH.\n"
    assert findings(old, new, title="Privacy Policy | Acme Shop Services") == []


# --------------------------------------------------------------------------- traps of real pages


def test_state_and_postcode_sentence_end_and_the_company_are_not_companies() -> None:
    s = (
        "Our address is 3172 North Rainbow Blvd., Las Vegas, NV 89108, USA. Brave accesses "
        "the content sent to us to generate the Output. Brave Inc. does not keep it. "
        "SELLING INFORMATION The Company does not sell your data."
    )
    assert [n for _, _, n in legal_names(s)] == ["Brave Inc."]


def test_products_verbs_and_run_on_sentences_are_not_parties() -> None:
    text = (
        "When you use features that interact with third party Acme Products, such as Web "
        "Search, your input is sent.\n"
        "Cookies and analytics: Adjust your cookie preferences at any time.\n"
        "Our Services may contain buttons from other companies, such as Twitter and LinkedIn. "
        "Use of these buttons is optional.\n"
    )
    assert set(keys(text)) == {"twitter", "linkedin"}


def test_diff_aware_names_need_the_shape_of_a_name() -> None:
    old = "Wir schützen Ihre Daten. Details: https://pay.hyperwallet.example/privacy\n"
    new = old + (
        "Um einander als Dienstleister bei Datenverarbeitungsvorgängen zu unterstützen, "
        "übermitteln wir Daten an Partner. Zahlungen werden über Hyperwallet übermittelt.\n"
    )
    # a capitalised German noun is no name; a name the page's addresses spell is
    assert summary(findings(old, new)) == {("party_added", None, "Hyperwallet")}


def test_diff_aware_known_company_in_a_joint_controller_sentence() -> None:
    old = "Nous utilisons des cookies publicitaires.\n"
    new = old + "Acme et Meta Ireland sont responsables conjoints de ces traitements.\n"
    assert summary(findings(old, new)) == {("party_added", None, "Meta Ireland")}
