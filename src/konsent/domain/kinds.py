"""Message kinds and their legal nature (shared/spec/message-kinds.md)."""

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"  # a live call
    POST = "post"  # an addressed letter


# Email and SMS are both "electronic mail" (Art. 2 (h) Directive 2002/58/EC).
ELECTRONIC_MAIL = frozenset({Channel.EMAIL, Channel.SMS})


class Nature(StrEnum):
    TRANSACTIONAL = "transactional"
    SERVICE = "service"
    CONSENT_FLOW = "consent_flow"
    ADVERTISING = "advertising"


class MessageKind(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    BOOKING_CONFIRMATION = "booking_confirmation"
    APPOINTMENT_REMINDER = "appointment_reminder"
    SHIPPING_STATUS = "shipping_status"
    INVOICE = "invoice"
    AFTER_SALES_INFO = "after_sales_info"
    BUSINESS_NOTICE = "business_notice"
    DOI_CONFIRMATION = "doi_confirmation"
    NEWSLETTER = "newsletter"
    PRODUCT_AD = "product_ad"
    REVIEW_REQUEST = "review_request"
    FEEDBACK_SURVEY = "feedback_survey"
    BIRTHDAY_GREETING = "birthday_greeting"
    WINBACK = "winback"
    CONSENT_REQUEST = "consent_request"
    LOYALTY_STATEMENT = "loyalty_statement"


NATURE: dict[MessageKind, Nature] = {
    MessageKind.ORDER_CONFIRMATION: Nature.TRANSACTIONAL,
    MessageKind.BOOKING_CONFIRMATION: Nature.TRANSACTIONAL,
    MessageKind.APPOINTMENT_REMINDER: Nature.TRANSACTIONAL,
    MessageKind.SHIPPING_STATUS: Nature.TRANSACTIONAL,
    MessageKind.INVOICE: Nature.TRANSACTIONAL,
    MessageKind.LOYALTY_STATEMENT: Nature.TRANSACTIONAL,
    MessageKind.AFTER_SALES_INFO: Nature.SERVICE,
    MessageKind.BUSINESS_NOTICE: Nature.SERVICE,
    MessageKind.DOI_CONFIRMATION: Nature.CONSENT_FLOW,
    MessageKind.NEWSLETTER: Nature.ADVERTISING,
    MessageKind.PRODUCT_AD: Nature.ADVERTISING,
    MessageKind.REVIEW_REQUEST: Nature.ADVERTISING,
    MessageKind.FEEDBACK_SURVEY: Nature.ADVERTISING,
    MessageKind.BIRTHDAY_GREETING: Nature.ADVERTISING,
    MessageKind.WINBACK: Nature.ADVERTISING,
    MessageKind.CONSENT_REQUEST: Nature.ADVERTISING,
}


def nature_of(kind: MessageKind, *, contains_advertising: bool | None = None) -> Nature:
    """Any message whose content advertises is advertising, whatever its kind (KG 5 U 35/20)."""
    if contains_advertising:
        return Nature.ADVERTISING
    return NATURE[kind]


class Purpose(StrEnum):
    """What a consent covers: all advertising on a channel, or one advertising kind."""

    ADVERTISING = "advertising"
    NEWSLETTER = "newsletter"
    PRODUCT_AD = "product_ad"
    REVIEW_REQUEST = "review_request"
    FEEDBACK_SURVEY = "feedback_survey"
    BIRTHDAY_GREETING = "birthday_greeting"
    WINBACK = "winback"


# Vouchers and offers valid on everything: never "similar goods" (LG Frankfurt 2-03 O 372/17).
WHOLE_ASSORTMENT = "whole-assortment"
