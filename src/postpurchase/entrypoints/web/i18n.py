"""The shopper's language and clock: message catalogue, locale choice, Babel formatting, zones.

The tracking page is read by the shopper, not the merchant, so it speaks the shopper's
language (an explicit switch, then the order's checkout locale, then the browser's
``Accept-Language``, then the merchant's default) and shows scan times on the shopper's
clock. The catalogue lives in Python rather than gettext ``.po`` files because it is small,
every language must have every key (a test checks it), and a missing compile step can never
ship an English page to a German shopper. Dates, times, ranges and time-zone names come from
Babel's CLDR data so they are right in every locale without us writing formats by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.core import get_global
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_timezone_name,
)
from babel.numbers import format_currency

DEFAULT_LANGUAGE = "en"

# Language tag (as shown in URLs and ``lang``) -> its own name, in the order of the switcher.
LANGUAGES: Mapping[str, str] = {
    "en": "English",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "fr": "Français",
    "de": "Deutsch",
}

_BABEL_IDS: Mapping[str, str] = {"en": "en", "es": "es", "pt-BR": "pt_BR", "fr": "fr", "de": "de"}

# French counts 0 as singular; the other four languages only 1.
_SINGULAR_ZERO = frozenset({"fr"})

EN: dict[str, str] = {
    "page.title": "Track order {number} · {shop}",
    "skip": "Skip to main content",
    "lang.label": "Language",
    "order.label": "Order {number}",
    "order.placed": "Ordered {date}",
    "order.shipping_to": "Shipping to {place}",
    "order.parcels.one": "Your order ships in {n} parcel.",
    "order.parcels.other": "Your order ships in {n} parcels.",
    "order.unfulfilled.h": "We're preparing your order",
    "order.unfulfilled.p": "We'll update this page as soon as it ships.",
    "order.cancelled.h": "This order was cancelled",
    "order.cancelled.p": "If you didn't expect this, please contact us.",
    "order.partially_shipped.h": "Part of your order is on its way",
    "order.partially_delivered.h": "Part of your order has arrived",
    "order.shipped.h": "Your order is on its way",
    "order.delivered.h": "Your order was delivered",
    "order.exception.h": "There's a problem with your order",
    "status.pending": "Preparing to ship",
    "status.info_received": "Shipping label created",
    "status.in_transit": "On its way",
    "status.out_for_delivery": "Out for delivery",
    "status.attempt_failed": "Delivery attempt failed",
    "status.available_for_pickup": "Ready for pickup",
    "status.delivered": "Delivered",
    "status.exception": "There's a problem with this delivery",
    "status.expired": "No recent tracking updates",
    "detail.pending": "The parcel is being prepared. Tracking starts when the carrier has it.",
    "detail.info_received": "The carrier has the parcel's details and will collect it soon.",
    "detail.in_transit": "The carrier is moving your parcel towards you.",
    "detail.out_for_delivery": "The driver is on the way. Keep an eye out today.",
    "detail.attempt_failed": "The carrier tried to deliver but couldn't. They usually try "
    "again on the next business day.",
    "detail.available_for_pickup": "Your parcel is waiting for you at a pickup point.",
    "detail.delivered": "Your parcel was delivered.",
    "detail.exception": "The carrier reported a problem. We're looking into it.",
    "detail.expired": "The carrier hasn't shared any news for a long time. We're checking "
    "with them.",
    "h.delayed": "Delayed",
    "h.weather": "Delayed by weather",
    "h.damaged": "Damaged in transit",
    "h.lost": "Lost in transit",
    "h.address_issue": "Problem with the address",
    "h.customs_hold": "Held at customs",
    "h.returned_to_sender": "Returning to sender",
    "h.refused": "Delivery refused",
    "h.no_scan": "Delayed",
    "sub.delayed": "Your parcel is delayed. It's still on its way; you don't need to do anything.",
    "sub.weather": "Bad weather is slowing deliveries. Your parcel is still on its way.",
    "sub.damaged": "The parcel was damaged in transit. We're sorry: contact us and we'll make "
    "it right.",
    "sub.lost": "The carrier can't find your parcel. We're sorry: contact us for a "
    "replacement or a refund.",
    "sub.address_issue": "The carrier couldn't deliver because of a problem with the address. "
    "Please contact us to correct it.",
    "sub.customs_hold": "Your parcel is held at customs. The carrier may contact you for "
    "information or duties.",
    "sub.returned_to_sender": "The parcel is coming back to us. Contact us to arrange a new "
    "delivery or a refund.",
    "sub.refused": "The delivery was refused, so the parcel is coming back to us. Contact us "
    "if this was a mistake.",
    "sub.no_scan": "The carrier hasn't scanned your parcel for a few days. We're watching it "
    "closely.",
    "ev.label_created": "Shipping label created",
    "ev.picked_up": "Picked up by the carrier",
    "ev.hub_arrival": "Arrived at a sorting facility",
    "ev.hub_departure": "Left a sorting facility",
    "ev.redelivery_scheduled": "New delivery attempt scheduled",
    "ev.signed": "Delivered and signed for",
    "ev.left_at_door": "Delivered to the door",
    "ev.picked_up_by_customer": "Collected at the pickup point",
    "ev.unrecognised_code": "Carrier update",
    "progress.label": "Delivery progress",
    "step.ordered": "Ordered",
    "step.shipped": "Shipped",
    "step.in_transit": "In transit",
    "step.out_for_delivery": "Out for delivery",
    "step.pickup": "Ready for pickup",
    "step.delivered": "Delivered",
    "step.done": "completed",
    "step.current": "current step",
    "step.problem": "needs attention",
    "eta.label": "Estimated delivery",
    "eta.delivered_label": "Delivered",
    "eta.today": "Today",
    "eta.tomorrow": "Tomorrow",
    "eta.late": "Running late: it was expected by {date}. We'll update this page as soon as "
    "the carrier scans it.",
    "eta.none": "We'll show a delivery date as soon as the carrier has your parcel.",
    "eta.source.carrier": "Estimate from {carrier}",
    "eta.source.promise": "The date promised when you ordered",
    "eta.source.engine": "Our estimate, updated with every scan",
    "eta.source.rough": "A rough estimate from typical transit times",
    "shipment.n_of": "Parcel {i} of {n}",
    "shipment.tracking_number": "Tracking number",
    "shipment.carrier": "Carrier",
    "shipment.on_carrier_site": "Track on the {carrier} website",
    "shipment.items": "In this parcel",
    "items.title": "Items",
    "items.unshipped": "Not shipped yet",
    "items.qty": "Quantity: {n}",
    "summary.title": "Order summary",
    "summary.subtotal": "Items",
    "summary.discount": "Discount",
    "summary.shipping": "Shipping",
    "summary.tax": "Tax",
    "summary.tax_included": "Including {amount} tax",
    "summary.total": "Total paid",
    "timeline.title": "Tracking history",
    "timeline.more.one": "Show full history ({n} update)",
    "timeline.more.other": "Show full history ({n} updates)",
    "timeline.empty": "No tracking updates yet.",
    "timeline.local_time": "Times are shown in {tz}.",
    "help.title": "Need help?",
    "help.contact": "Contact us",
    "help.email": "Email us",
    "help.phone": "Call {phone}",
    "help.support_site": "Help centre",
    "help.reschedule": "Reschedule delivery",
    "pickup.title": "Pickup point",
    "pickup.hours": "Opening hours",
    "pickup.directions": "Get directions",
    "pickup.bring": "Bring a photo ID and your tracking number.",
    "pickup.hours_unknown": "See the carrier's website for opening hours.",
    "returns.title": "Something not right?",
    "returns.p": "You can return or exchange items from this order.",
    "returns.cta": "Start a return",
    "rating.q": "How was your delivery?",
    "rating.1": "Very poor",
    "rating.2": "Poor",
    "rating.3": "Okay",
    "rating.4": "Good",
    "rating.5": "Excellent",
    "rating.score": "{n} out of 5: {label}",
    "rating.thanks": "Thanks for your feedback!",
    "rating.change": "You can change your answer at any time.",
    "rating.confirm": "Tap “{label}” to send your rating.",
    "lookup.title": "Track your order",
    "lookup.intro": "Enter your order number and the email address or postal code you used "
    "when ordering.",
    "lookup.number": "Order number",
    "lookup.contact": "Email or postal code",
    "lookup.submit": "Find my order",
    "lookup.failed": "We couldn't find an order with those details. Please check them and "
    "try again.",
    "lookup.limited": "Too many attempts. Please wait a few minutes and try again.",
    "lookup.err.number": "Enter your order number.",
    "lookup.err.contact": "Enter the email address or postal code from your order.",
    "nf.title": "We can't find that page",
    "nf.p": "The tracking link may be incomplete or out of date. You can look up your order "
    "with its number instead.",
    "nf.cta": "Look up my order",
}

ES: dict[str, str] = {
    "page.title": "Seguimiento del pedido {number} · {shop}",
    "skip": "Saltar al contenido principal",
    "lang.label": "Idioma",
    "order.label": "Pedido {number}",
    "order.placed": "Realizado el {date}",
    "order.shipping_to": "Envío a {place}",
    "order.parcels.one": "Tu pedido se envía en {n} paquete.",
    "order.parcels.other": "Tu pedido se envía en {n} paquetes.",
    "order.unfulfilled.h": "Estamos preparando tu pedido",
    "order.unfulfilled.p": "Actualizaremos esta página en cuanto se envíe.",
    "order.cancelled.h": "Este pedido se ha cancelado",
    "order.cancelled.p": "Si no lo esperabas, ponte en contacto con nosotros.",
    "order.partially_shipped.h": "Parte de tu pedido está en camino",
    "order.partially_delivered.h": "Parte de tu pedido ya ha llegado",
    "order.shipped.h": "Tu pedido está en camino",
    "order.delivered.h": "Tu pedido se ha entregado",
    "order.exception.h": "Hay un problema con tu pedido",
    "status.pending": "Preparando el envío",
    "status.info_received": "Etiqueta de envío creada",
    "status.in_transit": "En camino",
    "status.out_for_delivery": "En reparto",
    "status.attempt_failed": "Intento de entrega fallido",
    "status.available_for_pickup": "Listo para recoger",
    "status.delivered": "Entregado",
    "status.exception": "Hay un problema con esta entrega",
    "status.expired": "Sin actualizaciones recientes",
    "detail.pending": "Estamos preparando el paquete. El seguimiento empieza cuando lo tenga "
    "el transportista.",
    "detail.info_received": "El transportista tiene los datos del paquete y lo recogerá pronto.",
    "detail.in_transit": "El transportista está llevando tu paquete hacia ti.",
    "detail.out_for_delivery": "El repartidor está en camino. Estate atento hoy.",
    "detail.attempt_failed": "El transportista intentó entregarlo, pero no pudo. Suele "
    "volver a intentarlo el siguiente día hábil.",
    "detail.available_for_pickup": "Tu paquete te espera en un punto de recogida.",
    "detail.delivered": "Tu paquete se ha entregado.",
    "detail.exception": "El transportista ha informado de un problema. Lo estamos revisando.",
    "detail.expired": "El transportista no da noticias desde hace tiempo. Lo estamos consultando.",
    "h.delayed": "Con retraso",
    "h.weather": "Retrasado por el tiempo",
    "h.damaged": "Dañado durante el transporte",
    "h.lost": "Perdido durante el transporte",
    "h.address_issue": "Problema con la dirección",
    "h.customs_hold": "Retenido en aduanas",
    "h.returned_to_sender": "Volviendo al remitente",
    "h.refused": "Entrega rechazada",
    "h.no_scan": "Con retraso",
    "sub.delayed": "Tu paquete lleva retraso. Sigue en camino; no tienes que hacer nada.",
    "sub.weather": "El mal tiempo está retrasando las entregas. Tu paquete sigue en camino.",
    "sub.damaged": "El paquete se dañó durante el transporte. Lo sentimos: contacta con "
    "nosotros y lo solucionaremos.",
    "sub.lost": "El transportista no encuentra tu paquete. Lo sentimos: contacta con nosotros "
    "para un reemplazo o un reembolso.",
    "sub.address_issue": "El transportista no pudo entregarlo por un problema con la "
    "dirección. Contacta con nosotros para corregirla.",
    "sub.customs_hold": "Tu paquete está retenido en aduanas. El transportista puede pedirte "
    "información o el pago de aranceles.",
    "sub.returned_to_sender": "El paquete vuelve a nosotros. Contacta con nosotros para "
    "organizar una nueva entrega o un reembolso.",
    "sub.refused": "Se rechazó la entrega y el paquete vuelve a nosotros. Contacta con "
    "nosotros si ha sido un error.",
    "sub.no_scan": "El transportista no ha escaneado tu paquete en unos días. Lo estamos "
    "vigilando de cerca.",
    "ev.label_created": "Etiqueta de envío creada",
    "ev.picked_up": "Recogido por el transportista",
    "ev.hub_arrival": "Llegada a un centro de clasificación",
    "ev.hub_departure": "Salida de un centro de clasificación",
    "ev.redelivery_scheduled": "Nuevo intento de entrega programado",
    "ev.signed": "Entregado y firmado",
    "ev.left_at_door": "Entregado en la puerta",
    "ev.picked_up_by_customer": "Recogido en el punto de recogida",
    "ev.unrecognised_code": "Actualización del transportista",
    "progress.label": "Progreso de la entrega",
    "step.ordered": "Pedido",
    "step.shipped": "Enviado",
    "step.in_transit": "En tránsito",
    "step.out_for_delivery": "En reparto",
    "step.pickup": "Listo para recoger",
    "step.delivered": "Entregado",
    "step.done": "completado",
    "step.current": "paso actual",
    "step.problem": "requiere atención",
    "eta.label": "Entrega estimada",
    "eta.delivered_label": "Entregado",
    "eta.today": "Hoy",
    "eta.tomorrow": "Mañana",
    "eta.late": "Con retraso: se esperaba para el {date}. Actualizaremos esta página en "
    "cuanto el transportista lo escanee.",
    "eta.none": "Mostraremos una fecha de entrega en cuanto el transportista tenga tu paquete.",
    "eta.source.carrier": "Estimación de {carrier}",
    "eta.source.promise": "La fecha prometida al hacer el pedido",
    "eta.source.engine": "Nuestra estimación, actualizada con cada escaneo",
    "eta.source.rough": "Una estimación aproximada según los plazos habituales",
    "shipment.n_of": "Paquete {i} de {n}",
    "shipment.tracking_number": "Número de seguimiento",
    "shipment.carrier": "Transportista",
    "shipment.on_carrier_site": "Seguir en la web de {carrier}",
    "shipment.items": "En este paquete",
    "items.title": "Artículos",
    "items.unshipped": "Aún no enviados",
    "items.qty": "Cantidad: {n}",
    "summary.title": "Resumen del pedido",
    "summary.subtotal": "Artículos",
    "summary.discount": "Descuento",
    "summary.shipping": "Envío",
    "summary.tax": "Impuestos",
    "summary.tax_included": "Incluye {amount} de impuestos",
    "summary.total": "Total pagado",
    "timeline.title": "Historial de seguimiento",
    "timeline.more.one": "Ver todo el historial ({n} actualización)",
    "timeline.more.other": "Ver todo el historial ({n} actualizaciones)",
    "timeline.empty": "Aún no hay actualizaciones de seguimiento.",
    "timeline.local_time": "Zona horaria: {tz}.",
    "help.title": "¿Necesitas ayuda?",
    "help.contact": "Contacta con nosotros",
    "help.email": "Escríbenos",
    "help.phone": "Llama al {phone}",
    "help.support_site": "Centro de ayuda",
    "help.reschedule": "Reprogramar la entrega",
    "pickup.title": "Punto de recogida",
    "pickup.hours": "Horario",
    "pickup.directions": "Cómo llegar",
    "pickup.bring": "Lleva un documento de identidad con foto y tu número de seguimiento.",
    "pickup.hours_unknown": "Consulta el horario en la web del transportista.",
    "returns.title": "¿Algo no va bien?",
    "returns.p": "Puedes devolver o cambiar artículos de este pedido.",
    "returns.cta": "Iniciar una devolución",
    "rating.q": "¿Qué tal fue la entrega?",
    "rating.1": "Muy mala",
    "rating.2": "Mala",
    "rating.3": "Normal",
    "rating.4": "Buena",
    "rating.5": "Excelente",
    "rating.score": "{n} de 5: {label}",
    "rating.thanks": "¡Gracias por tu opinión!",
    "rating.change": "Puedes cambiar tu respuesta cuando quieras.",
    "rating.confirm": "Toca «{label}» para enviar tu valoración.",
    "lookup.title": "Sigue tu pedido",
    "lookup.intro": "Introduce tu número de pedido y el correo electrónico o código postal "
    "que usaste al comprar.",
    "lookup.number": "Número de pedido",
    "lookup.contact": "Correo electrónico o código postal",
    "lookup.submit": "Buscar mi pedido",
    "lookup.failed": "No encontramos ningún pedido con esos datos. Revísalos e inténtalo de nuevo.",
    "lookup.limited": "Demasiados intentos. Espera unos minutos e inténtalo de nuevo.",
    "lookup.err.number": "Introduce tu número de pedido.",
    "lookup.err.contact": "Introduce el correo electrónico o el código postal de tu pedido.",
    "nf.title": "No encontramos esa página",
    "nf.p": "Puede que el enlace de seguimiento esté incompleto o caducado. Puedes buscar tu "
    "pedido con su número.",
    "nf.cta": "Buscar mi pedido",
}

PT_BR: dict[str, str] = {
    "page.title": "Rastrear pedido {number} · {shop}",
    "skip": "Pular para o conteúdo principal",
    "lang.label": "Idioma",
    "order.label": "Pedido {number}",
    "order.placed": "Feito em {date}",
    "order.shipping_to": "Entrega em {place}",
    "order.parcels.one": "Seu pedido será enviado em {n} volume.",
    "order.parcels.other": "Seu pedido será enviado em {n} volumes.",
    "order.unfulfilled.h": "Estamos preparando seu pedido",
    "order.unfulfilled.p": "Vamos atualizar esta página assim que ele for enviado.",
    "order.cancelled.h": "Este pedido foi cancelado",
    "order.cancelled.p": "Se você não esperava por isso, fale com a gente.",
    "order.partially_shipped.h": "Parte do seu pedido está a caminho",
    "order.partially_delivered.h": "Parte do seu pedido já chegou",
    "order.shipped.h": "Seu pedido está a caminho",
    "order.delivered.h": "Seu pedido foi entregue",
    "order.exception.h": "Há um problema com seu pedido",
    "status.pending": "Preparando o envio",
    "status.info_received": "Etiqueta de envio criada",
    "status.in_transit": "A caminho",
    "status.out_for_delivery": "Saiu para entrega",
    "status.attempt_failed": "Tentativa de entrega sem sucesso",
    "status.available_for_pickup": "Pronto para retirada",
    "status.delivered": "Entregue",
    "status.exception": "Há um problema com esta entrega",
    "status.expired": "Sem atualizações recentes",
    "detail.pending": "O volume está sendo preparado. O rastreamento começa quando a "
    "transportadora recebê-lo.",
    "detail.info_received": "A transportadora já tem os dados do volume e vai coletá-lo em breve.",
    "detail.in_transit": "A transportadora está levando seu volume até você.",
    "detail.out_for_delivery": "O entregador está a caminho. Fique atento hoje.",
    "detail.attempt_failed": "A transportadora tentou entregar, mas não conseguiu. "
    "Normalmente ela tenta de novo no próximo dia útil.",
    "detail.available_for_pickup": "Seu volume está esperando por você em um ponto de retirada.",
    "detail.delivered": "Seu volume foi entregue.",
    "detail.exception": "A transportadora informou um problema. Estamos verificando.",
    "detail.expired": "A transportadora não dá notícias há muito tempo. Estamos "
    "verificando com ela.",
    "h.delayed": "Atrasado",
    "h.weather": "Atrasado pelo clima",
    "h.damaged": "Danificado no transporte",
    "h.lost": "Extraviado",
    "h.address_issue": "Problema com o endereço",
    "h.customs_hold": "Retido na alfândega",
    "h.returned_to_sender": "Voltando ao remetente",
    "h.refused": "Entrega recusada",
    "h.no_scan": "Atrasado",
    "sub.delayed": "Seu volume está atrasado. Ele continua a caminho; você não precisa fazer nada.",
    "sub.weather": "O mau tempo está atrasando as entregas. Seu volume continua a caminho.",
    "sub.damaged": "O volume foi danificado no transporte. Sentimos muito: fale com a gente e "
    "vamos resolver.",
    "sub.lost": "A transportadora não encontra seu volume. Sentimos muito: fale com a gente "
    "para receber outro ou o reembolso.",
    "sub.address_issue": "A transportadora não conseguiu entregar por um problema no "
    "endereço. Fale com a gente para corrigi-lo.",
    "sub.customs_hold": "Seu volume está retido na alfândega. A transportadora pode pedir "
    "informações ou o pagamento de impostos.",
    "sub.returned_to_sender": "O volume está voltando para nós. Fale com a gente para "
    "combinar uma nova entrega ou o reembolso.",
    "sub.refused": "A entrega foi recusada e o volume está voltando para nós. Fale com a "
    "gente se foi um engano.",
    "sub.no_scan": "A transportadora não registra seu volume há alguns dias. Estamos "
    "acompanhando de perto.",
    "ev.label_created": "Etiqueta de envio criada",
    "ev.picked_up": "Coletado pela transportadora",
    "ev.hub_arrival": "Chegou a um centro de distribuição",
    "ev.hub_departure": "Saiu de um centro de distribuição",
    "ev.redelivery_scheduled": "Nova tentativa de entrega agendada",
    "ev.signed": "Entregue e assinado",
    "ev.left_at_door": "Entregue na porta",
    "ev.picked_up_by_customer": "Retirado no ponto de retirada",
    "ev.unrecognised_code": "Atualização da transportadora",
    "progress.label": "Progresso da entrega",
    "step.ordered": "Pedido feito",
    "step.shipped": "Enviado",
    "step.in_transit": "Em trânsito",
    "step.out_for_delivery": "Saiu para entrega",
    "step.pickup": "Pronto para retirada",
    "step.delivered": "Entregue",
    "step.done": "concluído",
    "step.current": "etapa atual",
    "step.problem": "requer atenção",
    "eta.label": "Previsão de entrega",
    "eta.delivered_label": "Entregue",
    "eta.today": "Hoje",
    "eta.tomorrow": "Amanhã",
    "eta.late": "Atrasado: a previsão era até {date}. Vamos atualizar esta página assim que "
    "a transportadora registrar o volume.",
    "eta.none": "Vamos mostrar uma data de entrega assim que a transportadora receber seu volume.",
    "eta.source.carrier": "Previsão da {carrier}",
    "eta.source.promise": "A data prometida na compra",
    "eta.source.engine": "Nossa previsão, atualizada a cada registro",
    "eta.source.rough": "Uma previsão aproximada pelos prazos habituais",
    "shipment.n_of": "Volume {i} de {n}",
    "shipment.tracking_number": "Código de rastreio",
    "shipment.carrier": "Transportadora",
    "shipment.on_carrier_site": "Rastrear no site da {carrier}",
    "shipment.items": "Neste volume",
    "items.title": "Itens",
    "items.unshipped": "Ainda não enviados",
    "items.qty": "Quantidade: {n}",
    "summary.title": "Resumo do pedido",
    "summary.subtotal": "Itens",
    "summary.discount": "Desconto",
    "summary.shipping": "Frete",
    "summary.tax": "Impostos",
    "summary.tax_included": "Inclui {amount} de impostos",
    "summary.total": "Total pago",
    "timeline.title": "Histórico de rastreamento",
    "timeline.more.one": "Ver histórico completo ({n} atualização)",
    "timeline.more.other": "Ver histórico completo ({n} atualizações)",
    "timeline.empty": "Ainda não há atualizações de rastreamento.",
    "timeline.local_time": "Fuso horário: {tz}.",
    "help.title": "Precisa de ajuda?",
    "help.contact": "Fale com a gente",
    "help.email": "Envie um e-mail",
    "help.phone": "Ligue para {phone}",
    "help.support_site": "Central de ajuda",
    "help.reschedule": "Reagendar a entrega",
    "pickup.title": "Ponto de retirada",
    "pickup.hours": "Horário de funcionamento",
    "pickup.directions": "Como chegar",
    "pickup.bring": "Leve um documento com foto e seu código de rastreio.",
    "pickup.hours_unknown": "Consulte o horário no site da transportadora.",
    "returns.title": "Algo não ficou bom?",
    "returns.p": "Você pode devolver ou trocar itens deste pedido.",
    "returns.cta": "Solicitar devolução",
    "rating.q": "Como foi sua entrega?",
    "rating.1": "Muito ruim",
    "rating.2": "Ruim",
    "rating.3": "Regular",
    "rating.4": "Boa",
    "rating.5": "Excelente",
    "rating.score": "{n} de 5: {label}",
    "rating.thanks": "Obrigado pela sua avaliação!",
    "rating.change": "Você pode mudar sua resposta quando quiser.",
    "rating.confirm": "Toque em “{label}” para enviar sua avaliação.",
    "lookup.title": "Rastreie seu pedido",
    "lookup.intro": "Informe o número do pedido e o e-mail ou CEP usado na compra.",
    "lookup.number": "Número do pedido",
    "lookup.contact": "E-mail ou CEP",
    "lookup.submit": "Encontrar meu pedido",
    "lookup.failed": "Não encontramos um pedido com esses dados. Confira e tente de novo.",
    "lookup.limited": "Muitas tentativas. Aguarde alguns minutos e tente de novo.",
    "lookup.err.number": "Informe o número do pedido.",
    "lookup.err.contact": "Informe o e-mail ou o CEP do seu pedido.",
    "nf.title": "Não encontramos esta página",
    "nf.p": "O link de rastreamento pode estar incompleto ou expirado. Você pode buscar seu "
    "pedido pelo número.",
    "nf.cta": "Buscar meu pedido",
}

FR: dict[str, str] = {
    "page.title": "Suivi de la commande {number} · {shop}",
    "skip": "Aller au contenu principal",
    "lang.label": "Langue",
    "order.label": "Commande {number}",
    "order.placed": "Passée le {date}",
    "order.shipping_to": "Livraison à {place}",
    "order.parcels.one": "Votre commande est expédiée en {n} colis.",
    "order.parcels.other": "Votre commande est expédiée en {n} colis.",
    "order.unfulfilled.h": "Nous préparons votre commande",
    "order.unfulfilled.p": "Nous mettrons cette page à jour dès son expédition.",
    "order.cancelled.h": "Cette commande a été annulée",
    "order.cancelled.p": "Si vous ne vous y attendiez pas, contactez-nous.",
    "order.partially_shipped.h": "Une partie de votre commande est en route",
    "order.partially_delivered.h": "Une partie de votre commande est arrivée",
    "order.shipped.h": "Votre commande est en route",
    "order.delivered.h": "Votre commande a été livrée",
    "order.exception.h": "Un problème concerne votre commande",
    "status.pending": "Expédition en préparation",
    "status.info_received": "Étiquette d’expédition créée",
    "status.in_transit": "En route",
    "status.out_for_delivery": "En cours de livraison",
    "status.attempt_failed": "Échec de la tentative de livraison",
    "status.available_for_pickup": "Disponible en point de retrait",
    "status.delivered": "Livré",
    "status.exception": "Un problème concerne cette livraison",
    "status.expired": "Aucune mise à jour récente",
    "detail.pending": "Le colis est en préparation. Le suivi commence dès que le "
    "transporteur l’a pris en charge.",
    "detail.info_received": "Le transporteur a reçu les informations du colis et viendra "
    "bientôt le chercher.",
    "detail.in_transit": "Le transporteur achemine votre colis vers vous.",
    "detail.out_for_delivery": "Le livreur est en route. Restez attentif aujourd’hui.",
    "detail.attempt_failed": "Le transporteur a tenté de livrer, sans succès. Il réessaie "
    "généralement le jour ouvré suivant.",
    "detail.available_for_pickup": "Votre colis vous attend en point de retrait.",
    "detail.delivered": "Votre colis a été livré.",
    "detail.exception": "Le transporteur a signalé un problème. Nous nous en occupons.",
    "detail.expired": "Le transporteur n’a rien communiqué depuis longtemps. Nous vérifions "
    "auprès de lui.",
    "h.delayed": "Retardé",
    "h.weather": "Retardé par la météo",
    "h.damaged": "Endommagé pendant le transport",
    "h.lost": "Perdu pendant le transport",
    "h.address_issue": "Problème d’adresse",
    "h.customs_hold": "Retenu en douane",
    "h.returned_to_sender": "Retour à l’expéditeur",
    "h.refused": "Livraison refusée",
    "h.no_scan": "Retardé",
    "sub.delayed": "Votre colis a du retard. Il est toujours en route ; vous n’avez rien à faire.",
    "sub.weather": "La météo ralentit les livraisons. Votre colis est toujours en route.",
    "sub.damaged": "Le colis a été endommagé pendant le transport. Nous sommes désolés : "
    "contactez-nous et nous trouverons une solution.",
    "sub.lost": "Le transporteur ne retrouve pas votre colis. Nous sommes désolés : "
    "contactez-nous pour un renvoi ou un remboursement.",
    "sub.address_issue": "Le transporteur n’a pas pu livrer à cause d’un problème d’adresse. "
    "Contactez-nous pour la corriger.",
    "sub.customs_hold": "Votre colis est retenu en douane. Le transporteur peut vous demander "
    "des informations ou des droits de douane.",
    "sub.returned_to_sender": "Le colis nous est renvoyé. Contactez-nous pour organiser une "
    "nouvelle livraison ou un remboursement.",
    "sub.refused": "La livraison a été refusée, le colis nous est renvoyé. Contactez-nous "
    "s’il s’agit d’une erreur.",
    "sub.no_scan": "Le transporteur n’a pas scanné votre colis depuis quelques jours. Nous "
    "le surveillons de près.",
    "ev.label_created": "Étiquette d’expédition créée",
    "ev.picked_up": "Pris en charge par le transporteur",
    "ev.hub_arrival": "Arrivé dans un centre de tri",
    "ev.hub_departure": "Parti d’un centre de tri",
    "ev.redelivery_scheduled": "Nouvelle tentative de livraison prévue",
    "ev.signed": "Livré et signé",
    "ev.left_at_door": "Déposé devant la porte",
    "ev.picked_up_by_customer": "Retiré au point de retrait",
    "ev.unrecognised_code": "Mise à jour du transporteur",
    "progress.label": "Avancement de la livraison",
    "step.ordered": "Commandé",
    "step.shipped": "Expédié",
    "step.in_transit": "En transit",
    "step.out_for_delivery": "En livraison",
    "step.pickup": "En point de retrait",
    "step.delivered": "Livré",
    "step.done": "terminé",
    "step.current": "étape en cours",
    "step.problem": "action requise",
    "eta.label": "Livraison estimée",
    "eta.delivered_label": "Livré",
    "eta.today": "Aujourd’hui",
    "eta.tomorrow": "Demain",
    "eta.late": "En retard : il était attendu au plus tard le {date}. Nous mettrons cette "
    "page à jour dès que le transporteur le scannera.",
    "eta.none": "Nous afficherons une date de livraison dès que le transporteur aura votre colis.",
    "eta.source.carrier": "Estimation de {carrier}",
    "eta.source.promise": "La date promise lors de la commande",
    "eta.source.engine": "Notre estimation, mise à jour à chaque scan",
    "eta.source.rough": "Une estimation approximative d’après les délais habituels",
    "shipment.n_of": "Colis {i} sur {n}",
    "shipment.tracking_number": "Numéro de suivi",
    "shipment.carrier": "Transporteur",
    "shipment.on_carrier_site": "Suivre sur le site de {carrier}",
    "shipment.items": "Dans ce colis",
    "items.title": "Articles",
    "items.unshipped": "Pas encore expédiés",
    "items.qty": "Quantité : {n}",
    "summary.title": "Récapitulatif de la commande",
    "summary.subtotal": "Articles",
    "summary.discount": "Remise",
    "summary.shipping": "Livraison",
    "summary.tax": "Taxes",
    "summary.tax_included": "Dont {amount} de taxes",
    "summary.total": "Total payé",
    "timeline.title": "Historique du suivi",
    "timeline.more.one": "Voir tout l’historique ({n} mise à jour)",
    "timeline.more.other": "Voir tout l’historique ({n} mises à jour)",
    "timeline.empty": "Aucune mise à jour de suivi pour l’instant.",
    "timeline.local_time": "Fuseau horaire : {tz}.",
    "help.title": "Besoin d’aide ?",
    "help.contact": "Nous contacter",
    "help.email": "Écrivez-nous",
    "help.phone": "Appelez le {phone}",
    "help.support_site": "Centre d’aide",
    "help.reschedule": "Reprogrammer la livraison",
    "pickup.title": "Point de retrait",
    "pickup.hours": "Horaires d’ouverture",
    "pickup.directions": "Itinéraire",
    "pickup.bring": "Munissez-vous d’une pièce d’identité et de votre numéro de suivi.",
    "pickup.hours_unknown": "Consultez les horaires sur le site du transporteur.",
    "returns.title": "Un souci ?",
    "returns.p": "Vous pouvez retourner ou échanger des articles de cette commande.",
    "returns.cta": "Faire un retour",
    "rating.q": "Comment s’est passée votre livraison ?",
    "rating.1": "Très mal",
    "rating.2": "Mal",
    "rating.3": "Correct",
    "rating.4": "Bien",
    "rating.5": "Excellent",
    "rating.score": "{n} sur 5 : {label}",
    "rating.thanks": "Merci pour votre avis !",
    "rating.change": "Vous pouvez modifier votre réponse à tout moment.",
    "rating.confirm": "Touchez « {label} » pour envoyer votre note.",
    "lookup.title": "Suivre votre commande",
    "lookup.intro": "Saisissez votre numéro de commande et l’adresse e-mail ou le code postal "
    "utilisés lors de l’achat.",
    "lookup.number": "Numéro de commande",
    "lookup.contact": "E-mail ou code postal",
    "lookup.submit": "Trouver ma commande",
    "lookup.failed": "Nous n’avons trouvé aucune commande avec ces informations. Vérifiez-les "
    "et réessayez.",
    "lookup.limited": "Trop de tentatives. Patientez quelques minutes puis réessayez.",
    "lookup.err.number": "Saisissez votre numéro de commande.",
    "lookup.err.contact": "Saisissez l’adresse e-mail ou le code postal de votre commande.",
    "nf.title": "Page introuvable",
    "nf.p": "Le lien de suivi est peut-être incomplet ou périmé. Vous pouvez retrouver votre "
    "commande avec son numéro.",
    "nf.cta": "Retrouver ma commande",
}

DE: dict[str, str] = {
    "page.title": "Bestellung {number} verfolgen · {shop}",
    "skip": "Zum Hauptinhalt springen",
    "lang.label": "Sprache",
    "order.label": "Bestellung {number}",
    "order.placed": "Bestellt am {date}",
    "order.shipping_to": "Lieferung nach {place}",
    "order.parcels.one": "Ihre Bestellung kommt in {n} Paket.",
    "order.parcels.other": "Ihre Bestellung kommt in {n} Paketen.",
    "order.unfulfilled.h": "Wir bereiten Ihre Bestellung vor",
    "order.unfulfilled.p": "Wir aktualisieren diese Seite, sobald sie versendet wird.",
    "order.cancelled.h": "Diese Bestellung wurde storniert",
    "order.cancelled.p": "Falls Sie das nicht erwartet haben, kontaktieren Sie uns bitte.",
    "order.partially_shipped.h": "Ein Teil Ihrer Bestellung ist unterwegs",
    "order.partially_delivered.h": "Ein Teil Ihrer Bestellung ist angekommen",
    "order.shipped.h": "Ihre Bestellung ist unterwegs",
    "order.delivered.h": "Ihre Bestellung wurde zugestellt",
    "order.exception.h": "Es gibt ein Problem mit Ihrer Bestellung",
    "status.pending": "Versand wird vorbereitet",
    "status.info_received": "Versandetikett erstellt",
    "status.in_transit": "Unterwegs",
    "status.out_for_delivery": "In Zustellung",
    "status.attempt_failed": "Zustellversuch fehlgeschlagen",
    "status.available_for_pickup": "Zur Abholung bereit",
    "status.delivered": "Zugestellt",
    "status.exception": "Es gibt ein Problem mit dieser Lieferung",
    "status.expired": "Keine aktuellen Sendungsdaten",
    "detail.pending": "Das Paket wird vorbereitet. Die Sendungsverfolgung beginnt, sobald der "
    "Versanddienstleister es hat.",
    "detail.info_received": "Der Versanddienstleister hat die Paketdaten und holt es bald ab.",
    "detail.in_transit": "Der Versanddienstleister bringt Ihr Paket zu Ihnen.",
    "detail.out_for_delivery": "Der Zusteller ist unterwegs. Halten Sie heute die Augen offen.",
    "detail.attempt_failed": "Der Versanddienstleister konnte nicht zustellen. Meist gibt es "
    "am nächsten Werktag einen neuen Versuch.",
    "detail.available_for_pickup": "Ihr Paket wartet an einer Abholstelle auf Sie.",
    "detail.delivered": "Ihr Paket wurde zugestellt.",
    "detail.exception": "Der Versanddienstleister meldet ein Problem. Wir kümmern uns darum.",
    "detail.expired": "Der Versanddienstleister meldet sich seit Langem nicht. Wir fragen nach.",
    "h.delayed": "Verspätet",
    "h.weather": "Wetterbedingt verspätet",
    "h.damaged": "Beim Transport beschädigt",
    "h.lost": "Beim Transport verloren",
    "h.address_issue": "Problem mit der Adresse",
    "h.customs_hold": "Beim Zoll",
    "h.returned_to_sender": "Zurück an den Absender",
    "h.refused": "Annahme verweigert",
    "h.no_scan": "Verspätet",
    "sub.delayed": "Ihr Paket verspätet sich. Es ist weiter unterwegs; Sie müssen nichts tun.",
    "sub.weather": "Schlechtes Wetter verzögert die Zustellung. Ihr Paket ist weiter unterwegs.",
    "sub.damaged": "Das Paket wurde beim Transport beschädigt. Das tut uns leid: Kontaktieren "
    "Sie uns, wir finden eine Lösung.",
    "sub.lost": "Der Versanddienstleister findet Ihr Paket nicht. Das tut uns leid: "
    "Kontaktieren Sie uns für Ersatz oder Erstattung.",
    "sub.address_issue": "Wegen eines Problems mit der Adresse konnte nicht zugestellt "
    "werden. Bitte kontaktieren Sie uns, um sie zu korrigieren.",
    "sub.customs_hold": "Ihr Paket liegt beim Zoll. Der Versanddienstleister bittet Sie "
    "eventuell um Angaben oder Abgaben.",
    "sub.returned_to_sender": "Das Paket kommt zu uns zurück. Kontaktieren Sie uns für eine "
    "neue Zustellung oder eine Erstattung.",
    "sub.refused": "Die Annahme wurde verweigert, das Paket kommt zu uns zurück. "
    "Kontaktieren Sie uns, falls das ein Versehen war.",
    "sub.no_scan": "Ihr Paket wurde seit einigen Tagen nicht gescannt. Wir behalten es genau "
    "im Blick.",
    "ev.label_created": "Versandetikett erstellt",
    "ev.picked_up": "Vom Versanddienstleister abgeholt",
    "ev.hub_arrival": "Im Paketzentrum angekommen",
    "ev.hub_departure": "Paketzentrum verlassen",
    "ev.redelivery_scheduled": "Neuer Zustellversuch geplant",
    "ev.signed": "Zugestellt und unterschrieben",
    "ev.left_at_door": "An der Haustür zugestellt",
    "ev.picked_up_by_customer": "An der Abholstelle abgeholt",
    "ev.unrecognised_code": "Meldung des Versanddienstleisters",
    "progress.label": "Lieferfortschritt",
    "step.ordered": "Bestellt",
    "step.shipped": "Versendet",
    "step.in_transit": "Unterwegs",
    "step.out_for_delivery": "In Zustellung",
    "step.pickup": "Abholbereit",
    "step.delivered": "Zugestellt",
    "step.done": "erledigt",
    "step.current": "aktueller Schritt",
    "step.problem": "braucht Aufmerksamkeit",
    "eta.label": "Voraussichtliche Zustellung",
    "eta.delivered_label": "Zugestellt",
    "eta.today": "Heute",
    "eta.tomorrow": "Morgen",
    "eta.late": "Verspätet: Es wurde bis {date} erwartet. Wir aktualisieren diese Seite, "
    "sobald der Versanddienstleister es scannt.",
    "eta.none": "Wir zeigen ein Lieferdatum, sobald der Versanddienstleister Ihr Paket hat.",
    "eta.source.carrier": "Prognose von {carrier}",
    "eta.source.promise": "Das bei der Bestellung zugesagte Datum",
    "eta.source.engine": "Unsere Prognose, mit jedem Scan aktualisiert",
    "eta.source.rough": "Eine grobe Schätzung nach üblichen Laufzeiten",
    "shipment.n_of": "Paket {i} von {n}",
    "shipment.tracking_number": "Sendungsnummer",
    "shipment.carrier": "Versanddienstleister",
    "shipment.on_carrier_site": "Auf der Website von {carrier} verfolgen",
    "shipment.items": "In diesem Paket",
    "items.title": "Artikel",
    "items.unshipped": "Noch nicht versendet",
    "items.qty": "Menge: {n}",
    "summary.title": "Bestellübersicht",
    "summary.subtotal": "Artikel",
    "summary.discount": "Rabatt",
    "summary.shipping": "Versand",
    "summary.tax": "Steuer",
    "summary.tax_included": "Inkl. {amount} Steuer",
    "summary.total": "Bezahlt",
    "timeline.title": "Sendungsverlauf",
    "timeline.more.one": "Ganzen Verlauf anzeigen ({n} Meldung)",
    "timeline.more.other": "Ganzen Verlauf anzeigen ({n} Meldungen)",
    "timeline.empty": "Noch keine Sendungsdaten.",
    "timeline.local_time": "Zeitzone: {tz}.",
    "help.title": "Brauchen Sie Hilfe?",
    "help.contact": "Kontakt",
    "help.email": "E-Mail schreiben",
    "help.phone": "{phone} anrufen",
    "help.support_site": "Hilfe-Center",
    "help.reschedule": "Zustellung umplanen",
    "pickup.title": "Abholstelle",
    "pickup.hours": "Öffnungszeiten",
    "pickup.directions": "Route planen",
    "pickup.bring": "Bringen Sie einen Lichtbildausweis und Ihre Sendungsnummer mit.",
    "pickup.hours_unknown": "Die Öffnungszeiten finden Sie auf der Website des "
    "Versanddienstleisters.",
    "returns.title": "Passt etwas nicht?",
    "returns.p": "Sie können Artikel aus dieser Bestellung zurückgeben oder umtauschen.",
    "returns.cta": "Rücksendung starten",
    "rating.q": "Wie war Ihre Lieferung?",
    "rating.1": "Sehr schlecht",
    "rating.2": "Schlecht",
    "rating.3": "In Ordnung",
    "rating.4": "Gut",
    "rating.5": "Ausgezeichnet",
    "rating.score": "{n} von 5: {label}",
    "rating.thanks": "Danke für Ihre Bewertung!",
    "rating.change": "Sie können Ihre Antwort jederzeit ändern.",
    "rating.confirm": "Tippen Sie auf „{label}“, um Ihre Bewertung zu senden.",
    "lookup.title": "Bestellung verfolgen",
    "lookup.intro": "Geben Sie Ihre Bestellnummer und die E-Mail-Adresse oder Postleitzahl "
    "aus der Bestellung ein.",
    "lookup.number": "Bestellnummer",
    "lookup.contact": "E-Mail oder Postleitzahl",
    "lookup.submit": "Bestellung finden",
    "lookup.failed": "Wir haben keine Bestellung mit diesen Angaben gefunden. Bitte prüfen "
    "Sie sie und versuchen Sie es erneut.",
    "lookup.limited": "Zu viele Versuche. Bitte warten Sie einige Minuten.",
    "lookup.err.number": "Geben Sie Ihre Bestellnummer ein.",
    "lookup.err.contact": "Geben Sie die E-Mail-Adresse oder Postleitzahl Ihrer Bestellung ein.",
    "nf.title": "Diese Seite gibt es nicht",
    "nf.p": "Der Link zur Sendungsverfolgung ist unvollständig oder veraltet. Sie können Ihre "
    "Bestellung über die Bestellnummer suchen.",
    "nf.cta": "Bestellung suchen",
}

CATALOGUE: Mapping[str, Mapping[str, str]] = {
    "en": EN,
    "es": ES,
    "pt-BR": PT_BR,
    "fr": FR,
    "de": DE,
}


def normalise_language(tag: str | None) -> str | None:
    """Map any tag a browser or store sends (``pt_br``, ``es-MX``, ``de-AT``) onto ours.

    Portuguese of any region gets pt-BR, the only Portuguese we have: closer than English.
    """
    if not tag:
        return None
    cleaned = tag.strip().replace("_", "-")
    if not cleaned or len(cleaned) > 35:
        return None
    lowered = cleaned.lower()
    for lang in LANGUAGES:
        if lowered == lang.lower():
            return lang
    base = lowered.split("-", 1)[0]
    if base == "pt":
        return "pt-BR"
    return base if base in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Languages from ``Accept-Language`` in preference order (q-values honoured, ties kept)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        lang = normalise_language(tag)
        if lang and q > 0:
            ranked.append((-q, i, lang))
    out: list[str] = []
    for _, _, lang in sorted(ranked):
        if lang not in out:
            out.append(lang)
    return out


def choose_language(*candidates: str | None, accept_language: str | None = None) -> str:
    """First usable language among explicit candidates, then the browser's list, then English.

    Candidates come in priority order; ``accept_language`` is tried after the first two
    (explicit choice and the order's checkout locale), before the merchant's default.
    """
    firsts, rest = candidates[:2], candidates[2:]
    for c in firsts:
        lang = normalise_language(c)
        if lang:
            return lang
    for lang in parse_accept_language(accept_language):
        return lang
    for c in rest:
        lang = normalise_language(c)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Translator:
    """Messages and formats for one language. Cheap to build; one per request."""

    lang: str

    @property
    def babel_locale(self) -> str:
        return _BABEL_IDS[self.lang]

    @property
    def html_lang(self) -> str:
        return self.lang

    def __call__(self, key: str, **values: object) -> str:
        text = CATALOGUE[self.lang].get(key) or EN.get(key) or key
        return text.format(**values) if values else text

    def plural(self, key: str, n: int, **values: object) -> str:
        singular = n == 1 or (n == 0 and self.lang in _SINGULAR_ZERO)
        return self(f"{key}.{'one' if singular else 'other'}", n=n, **values)

    def day(self, value: date) -> str:
        """A delivery day as people say it: "Thursday, November 26" in the shopper's locale."""
        return _day(self.babel_locale, value)

    def short_day(self, value: date) -> str:
        return str(format_skeleton("MMMEd", value, locale=self.babel_locale))

    def day_range(self, start: date, end: date) -> str:
        """A window such as "Tue, Nov 24 – Thu, Nov 26", merged the way each locale does."""
        if start == end:
            return self.day(start)
        return str(format_interval(start, end, "MMMEd", locale=self.babel_locale))

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount as the shopper's locale writes it ("$181.09", "181,09 €")."""
        return str(format_currency(amount, currency, locale=self.babel_locale))

    def date_with_year(self, value: date) -> str:
        return str(format_skeleton("yMMMd", value, locale=self.babel_locale))

    def time(self, value: datetime, tz: ZoneInfo) -> str:
        """Clock time on the shopper's clock ("1:18 PM", "13:18")."""
        local = value.astimezone(tz)
        return _clock(self.babel_locale, local.hour, local.minute)

    def zone_name(self, tz: ZoneInfo) -> str:
        return str(get_timezone_name(tz, "long", locale=self.babel_locale))

    def relative_day(self, value: date, today: date) -> str:
        """Today / Tomorrow when that is what the date is, otherwise the full day."""
        delta = (value - today).days
        if delta == 0:
            return self("eta.today")
        if delta == 1:
            return self("eta.tomorrow")
        return self.day(value)

    def country_name(self, code: str) -> str:
        name = _locale(self.babel_locale).territories.get(code.upper())
        return str(name) if name else code.upper()


@lru_cache(maxsize=8)
def _locale(babel_id: str) -> Locale:
    return Locale.parse(babel_id)


@lru_cache(maxsize=4096)
def _day(babel_id: str, value: date) -> str:
    # Cached: a page formats the same few days many times, and Babel parses its pattern anew
    # on every call.
    return str(format_date(value, _day_pattern(babel_id), locale=babel_id))


@lru_cache(maxsize=8 * 24 * 60)
def _clock(babel_id: str, hour: int, minute: int) -> str:
    """A time of day depends only on the locale, the hour and the minute: cache all of them."""
    return str(format_time(time(hour, minute), "short", locale=babel_id))


@lru_cache(maxsize=8)
def _day_pattern(babel_id: str) -> str:
    """The locale's full date pattern without the year (CLDR's skeletons abbreviate the
    weekday in most locales, and a delivery day reads better in full)."""
    full = str(_locale(babel_id).date_formats["full"].pattern)
    return re.sub(r"(,?\s*'de'\s*|,\s*|\s+)y+", "", full).strip(" ,")


@lru_cache(maxsize=8)
def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------

# The zone most of a multi-zone country lives in; CLDR lists zones but does not rank them.
MAIN_ZONE: Mapping[str, str] = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "KZ": "Asia/Almaty",
    "CN": "Asia/Shanghai",
    "ID": "Asia/Jakarta",
    "MY": "Asia/Kuala_Lumpur",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "DE": "Europe/Berlin",
    "CD": "Africa/Kinshasa",
    "MN": "Asia/Ulaanbaatar",
    "PF": "Pacific/Tahiti",
    "KI": "Pacific/Tarawa",
    "FM": "Pacific/Pohnpei",
}

# Regions of the multi-zone countries we ship to most whose clock differs from the main zone.
REGION_ZONE: Mapping[tuple[str, str], str] = {
    **dict.fromkeys(
        (
            ("US", s)
            for s in [
                "AL",
                "AR",
                "IA",
                "IL",
                "KS",
                "LA",
                "MN",
                "MO",
                "MS",
                "NE",
                "ND",
                "OK",
                "SD",
                "TN",
                "TX",
                "WI",
            ]
        ),
        "America/Chicago",
    ),
    **dict.fromkeys((("US", s) for s in ["CO", "MT", "NM", "UT", "WY"]), "America/Denver"),
    ("US", "AZ"): "America/Phoenix",
    ("US", "ID"): "America/Boise",
    **dict.fromkeys((("US", s) for s in ["CA", "NV", "OR", "WA"]), "America/Los_Angeles"),
    ("US", "AK"): "America/Anchorage",
    ("US", "HI"): "Pacific/Honolulu",
    ("US", "PR"): "America/Puerto_Rico",
    ("CA", "BC"): "America/Vancouver",
    ("CA", "AB"): "America/Edmonton",
    ("CA", "SK"): "America/Regina",
    ("CA", "MB"): "America/Winnipeg",
    ("CA", "NS"): "America/Halifax",
    ("CA", "NB"): "America/Moncton",
    ("CA", "PE"): "America/Halifax",
    ("CA", "NL"): "America/St_Johns",
    ("CA", "YT"): "America/Whitehorse",
    ("CA", "NT"): "America/Yellowknife",
    ("CA", "NU"): "America/Iqaluit",
    ("BR", "AM"): "America/Manaus",
    ("BR", "RR"): "America/Boa_Vista",
    ("BR", "RO"): "America/Porto_Velho",
    ("BR", "MT"): "America/Cuiaba",
    ("BR", "MS"): "America/Campo_Grande",
    ("BR", "AC"): "America/Rio_Branco",
    ("AU", "QLD"): "Australia/Brisbane",
    ("AU", "SA"): "Australia/Adelaide",
    ("AU", "NT"): "Australia/Darwin",
    ("AU", "WA"): "Australia/Perth",
    ("AU", "TAS"): "Australia/Hobart",
    ("AU", "VIC"): "Australia/Melbourne",
    ("MX", "BC"): "America/Tijuana",
    ("MX", "SON"): "America/Hermosillo",
    ("MX", "ROO"): "America/Cancun",
}


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """A ZoneInfo for a valid IANA name, None for anything else (never raises)."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def country_zone(country: str | None, region: str | None = None) -> ZoneInfo | None:
    """The destination's clock: its region's zone when we know it, else the country's main one."""
    if not country:
        return None
    cc = country.upper()
    if region:
        found = REGION_ZONE.get((cc, region.upper().removeprefix(f"{cc}-")))
        if found:
            return zone(found)
    if cc in MAIN_ZONE:
        return zone(MAIN_ZONE[cc])
    zones = get_global("territory_zones").get(cc) or []
    return zone(zones[0]) if zones else None


def _zone_country(tz_name: str) -> str | None:
    found = get_global("zone_territories").get(tz_name)
    return str(found) if found else None


def shopper_zone(
    order_tz: str | None,
    merchant_tz: str | None,
    country: str | None,
    region: str | None = None,
) -> ZoneInfo:
    """The shopper's local clock: order zone, then the merchant's, then the destination's.

    The merchant's zone stands in for the shopper's only when it is plausibly the same
    clock: it is not the ``UTC`` placeholder every new merchant starts with, and it is in the
    destination country (a Lisbon shop shipping to São Paulo must not show Lisbon times).
    """
    found = zone(order_tz)
    if found is not None:
        return found
    merchant = zone(merchant_tz) if merchant_tz and merchant_tz.upper() != "UTC" else None
    if merchant is not None and merchant_tz is not None:
        mcountry = _zone_country(merchant_tz)
        if not country or mcountry is None or mcountry == country.upper():
            return merchant
    dest = country_zone(country, region)
    if dest is not None:
        return dest
    return merchant or ZoneInfo("UTC")
