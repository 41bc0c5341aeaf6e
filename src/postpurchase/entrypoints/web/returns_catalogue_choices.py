"""The portal's words for the choices beside the items: photos, exchanges, return methods
with their CO2e, and the rules that price them. Merged into ``returns_catalogue``."""

from __future__ import annotations

from collections.abc import Mapping

EN: Mapping[str, str] = {
    "done.qr": (
        "Show this code at the {carrier} drop-off point (tracking number {number}),"
        " no box or printer needed."
    ),
    "done.qr_alt": "QR code of return parcel {number}",
    "done.label": "Print the return label (PDF)",
    "photo": "Photo",
    "photo.hint": "Needed for: {reasons}. PNG, JPEG, WebP or GIF, up to 5 MB.",
    "res.exchange": "Exchange for another size or colour",
    "exchange.for": "Exchange for",
    "exchange.none": "Choose a variant",
    "exchange.sold_out": "sold out",
    "method": "How will you send it back?",
    "method.mail": "Mail it back with a label",
    "method.drop_off": "Drop it off with a QR code, no box needed",
    "method.in_store": "Bring it to a store",
    "method.pickup": "Courier pickup at your door",
    "method.free": "free",
    "method.co2e": "about {kg} kg CO2e",
    "method.co2e_note": "CO2e is an estimate from distance and transport emission factors.",
    "review.method_fee": "Return method",
    "review.exchange_charge": "To pay for the exchange",
    "review.exchange_for": "You get",
    "review.co2e": "{method}: about {kg} kg CO2e.",
    "err.photo_size": "The photo is too large: up to 5 MB, please.",
    "err.photo_type": "That file is not a photo: PNG, JPEG, WebP or GIF, please.",
    "err.photo_needed": "Add a photo for the reason you chose.",
    "err.exchange": "Choose the variant you want for each item you exchange.",
    "rule.method.fee": "This return method costs {amount}, taken from your refund.",
    "rule.method.free": "This return method is free.",
    "rule.fee.exchange": "Exchanges are free: no return fee.",
    "rule.exchange.upsell": "The new item costs {amount} more: you pay the difference.",
    "rule.exchange.cheaper": "The new item costs {amount} less: the difference is refunded.",
    "rule.exchange.even": "An even exchange: nothing to pay.",
}

DE: Mapping[str, str] = {
    "done.qr": (
        "Zeige diesen Code an der {carrier}-Abgabestelle (Sendungsnummer {number}),"
        " ohne Karton oder Drucker."
    ),
    "done.qr_alt": "QR-Code der Rücksendung {number}",
    "done.label": "Rücksendeetikett drucken (PDF)",
    "photo": "Foto",
    "photo.hint": "Nötig für: {reasons}. PNG, JPEG, WebP oder GIF, bis 5 MB.",
    "res.exchange": "Umtausch gegen eine andere Größe oder Farbe",
    "exchange.for": "Umtauschen gegen",
    "exchange.none": "Variante wählen",
    "exchange.sold_out": "ausverkauft",
    "method": "Wie schickst du es zurück?",
    "method.mail": "Per Post mit Etikett",
    "method.drop_off": "Abgabe mit QR-Code, ohne Karton",
    "method.in_store": "Im Geschäft abgeben",
    "method.pickup": "Abholung an der Haustür",
    "method.free": "kostenlos",
    "method.co2e": "etwa {kg} kg CO2e",
    "method.co2e_note": "CO2e ist eine Schätzung aus Entfernung und Emissionsfaktoren.",
    "review.method_fee": "Rücksendeart",
    "review.exchange_charge": "Für den Umtausch zu zahlen",
    "review.exchange_for": "Du bekommst",
    "review.co2e": "{method}: etwa {kg} kg CO2e.",
    "err.photo_size": "Das Foto ist zu groß: bitte höchstens 5 MB.",
    "err.photo_type": "Diese Datei ist kein Foto: bitte PNG, JPEG, WebP oder GIF.",
    "err.photo_needed": "Füge für den gewählten Grund ein Foto hinzu.",
    "err.exchange": "Wähle für jeden Umtauschartikel die gewünschte Variante.",
    "rule.method.fee": "Diese Rücksendeart kostet {amount}, abgezogen von deiner Erstattung.",
    "rule.method.free": "Diese Rücksendeart ist kostenlos.",
    "rule.fee.exchange": "Umtausch ist kostenlos: keine Rücksendegebühr.",
    "rule.exchange.upsell": "Der neue Artikel kostet {amount} mehr: du zahlst die Differenz.",
    "rule.exchange.cheaper": (
        "Der neue Artikel kostet {amount} weniger: die Differenz wird erstattet."
    ),
    "rule.exchange.even": "Ein gleichwertiger Umtausch: nichts zu zahlen.",
}

FR: Mapping[str, str] = {
    "done.qr": (
        "Montrez ce code au point de dépôt {carrier} (numéro de suivi {number}),"
        " sans carton ni imprimante."
    ),
    "done.qr_alt": "Code QR du colis retour {number}",
    "done.label": "Imprimer l'étiquette de retour (PDF)",
    "photo": "Photo",
    "photo.hint": "Nécessaire pour : {reasons}. PNG, JPEG, WebP ou GIF, 5 Mo maximum.",
    "res.exchange": "Échange contre une autre taille ou couleur",
    "exchange.for": "Échanger contre",
    "exchange.none": "Choisissez une variante",
    "exchange.sold_out": "épuisé",
    "method": "Comment le renvoyez-vous ?",
    "method.mail": "Par la poste avec une étiquette",
    "method.drop_off": "Dépôt avec un code QR, sans carton",
    "method.in_store": "En magasin",
    "method.pickup": "Enlèvement à domicile",
    "method.free": "gratuit",
    "method.co2e": "environ {kg} kg CO2e",
    "method.co2e_note": "Le CO2e est estimé à partir de la distance et de facteurs d'émission.",
    "review.method_fee": "Mode de retour",
    "review.exchange_charge": "À payer pour l'échange",
    "review.exchange_for": "Vous recevez",
    "review.co2e": "{method} : environ {kg} kg CO2e.",
    "err.photo_size": "La photo est trop lourde : 5 Mo maximum.",
    "err.photo_type": "Ce fichier n'est pas une photo : PNG, JPEG, WebP ou GIF.",
    "err.photo_needed": "Ajoutez une photo pour le motif choisi.",
    "err.exchange": "Choisissez la variante voulue pour chaque article échangé.",
    "rule.method.fee": "Ce mode de retour coûte {amount}, déduit de votre remboursement.",
    "rule.method.free": "Ce mode de retour est gratuit.",
    "rule.fee.exchange": "Les échanges sont gratuits : pas de frais de retour.",
    "rule.exchange.upsell": "Le nouvel article coûte {amount} de plus : vous payez la différence.",
    "rule.exchange.cheaper": (
        "Le nouvel article coûte {amount} de moins : la différence est remboursée."
    ),
    "rule.exchange.even": "Un échange à prix égal : rien à payer.",
}

ES: Mapping[str, str] = {
    "done.qr": (
        "Muestra este código en el punto de entrega de {carrier} (seguimiento {number}),"
        " sin caja ni impresora."
    ),
    "done.qr_alt": "Código QR del paquete de devolución {number}",
    "done.label": "Imprimir la etiqueta de devolución (PDF)",
    "photo": "Foto",
    "photo.hint": "Necesaria para: {reasons}. PNG, JPEG, WebP o GIF, hasta 5 MB.",
    "res.exchange": "Cambio por otra talla o color",
    "exchange.for": "Cambiar por",
    "exchange.none": "Elige una variante",
    "exchange.sold_out": "agotado",
    "method": "¿Cómo lo devuelves?",
    "method.mail": "Por correo con etiqueta",
    "method.drop_off": "Entrega con código QR, sin caja",
    "method.in_store": "En tienda",
    "method.pickup": "Recogida a domicilio",
    "method.free": "gratis",
    "method.co2e": "unos {kg} kg CO2e",
    "method.co2e_note": "El CO2e es una estimación a partir de la distancia y factores de emisión.",
    "review.method_fee": "Forma de devolución",
    "review.exchange_charge": "A pagar por el cambio",
    "review.exchange_for": "Recibes",
    "review.co2e": "{method}: unos {kg} kg CO2e.",
    "err.photo_size": "La foto es demasiado grande: hasta 5 MB.",
    "err.photo_type": "Ese archivo no es una foto: PNG, JPEG, WebP o GIF.",
    "err.photo_needed": "Añade una foto para el motivo elegido.",
    "err.exchange": "Elige la variante que quieres para cada artículo que cambias.",
    "rule.method.fee": "Esta forma de devolución cuesta {amount}, descontado del reembolso.",
    "rule.method.free": "Esta forma de devolución es gratis.",
    "rule.fee.exchange": "Los cambios son gratis: sin gastos de devolución.",
    "rule.exchange.upsell": "El artículo nuevo cuesta {amount} más: pagas la diferencia.",
    "rule.exchange.cheaper": "El artículo nuevo cuesta {amount} menos: se reembolsa la diferencia.",
    "rule.exchange.even": "Un cambio al mismo precio: nada que pagar.",
}

PT_BR: Mapping[str, str] = {
    "done.qr": (
        "Mostre este código no ponto de entrega {carrier} (rastreio {number}),"
        " sem caixa nem impressora."
    ),
    "done.qr_alt": "QR code do pacote de devolução {number}",
    "done.label": "Imprimir a etiqueta de devolução (PDF)",
    "photo": "Foto",
    "photo.hint": "Necessária para: {reasons}. PNG, JPEG, WebP ou GIF, até 5 MB.",
    "res.exchange": "Troca por outro tamanho ou cor",
    "exchange.for": "Trocar por",
    "exchange.none": "Escolha uma variante",
    "exchange.sold_out": "esgotado",
    "method": "Como você vai devolver?",
    "method.mail": "Pelo correio com etiqueta",
    "method.drop_off": "Entrega com QR code, sem caixa",
    "method.in_store": "Na loja",
    "method.pickup": "Coleta em casa",
    "method.free": "grátis",
    "method.co2e": "cerca de {kg} kg CO2e",
    "method.co2e_note": "O CO2e é uma estimativa a partir da distância e de fatores de emissão.",
    "review.method_fee": "Forma de devolução",
    "review.exchange_charge": "A pagar pela troca",
    "review.exchange_for": "Você recebe",
    "review.co2e": "{method}: cerca de {kg} kg CO2e.",
    "err.photo_size": "A foto é grande demais: até 5 MB.",
    "err.photo_type": "Esse arquivo não é uma foto: PNG, JPEG, WebP ou GIF.",
    "err.photo_needed": "Adicione uma foto para o motivo escolhido.",
    "err.exchange": "Escolha a variante desejada para cada item trocado.",
    "rule.method.fee": "Esta forma de devolução custa {amount}, descontado do reembolso.",
    "rule.method.free": "Esta forma de devolução é grátis.",
    "rule.fee.exchange": "Trocas são grátis: sem taxa de devolução.",
    "rule.exchange.upsell": "O novo item custa {amount} a mais: você paga a diferença.",
    "rule.exchange.cheaper": "O novo item custa {amount} a menos: a diferença é reembolsada.",
    "rule.exchange.even": "Uma troca de mesmo valor: nada a pagar.",
}
