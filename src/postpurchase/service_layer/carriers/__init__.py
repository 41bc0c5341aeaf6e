"""Carriers in the service layer: tracking by polling (``polling``) and rate shopping
(``rates``), both through the carrier port of ``domain.carriers``."""
