"""Customers who keep writing to the demo number, so a new user sees the chat page alive.

``demo_customers`` (run in the background by `.ci/serve`, every DEMO_CUSTOMER_EVERY seconds)
calls ``tick`` in a loop: one customer "types" for a moment, then sends one message through the
simulator, which posts it to our webhook like WhatsApp would. Nothing runs it in the tests but
the tests themselves.
"""

import time
from dataclasses import dataclass

from whatsapp.simulator import SimulatorControl


@dataclass(frozen=True)
class Customer:
    number: str
    name: str


CUSTOMERS = (
    Customer("5511976543210", "Carla Mendes"),
    Customer("5511955554444", "Paulo Souza"),
    Customer("5511944443333", "Rafael Nunes"),
    Customer("5548988776655", "Beatriz Rocha"),
    Customer("5521998765432", "João Pereira"),
)
PHRASES = (
    "Oi, tudo bem? Vocês ainda têm a mochila verde?",
    "Qual o prazo de entrega para Florianópolis?",
    "Consigo pagar em 3x sem juros?",
    "Vocês têm loja física em São Paulo?",
    "Acabei de fazer o pedido, como acompanho a entrega?",
    "Esse tênis serve para corrida na esteira?",
    "Obrigado pelo atendimento!",
    "Posso trocar o tamanho depois de receber?",
    "Tem cupom de desconto para primeira compra?",
    "Que horas vocês abrem amanhã?",
)


def tick(control: SimulatorControl, evolution_name: str, n: int, *, typing_seconds=2.0) -> dict:
    """The ``n``-th customer message: "typing…" for ``typing_seconds``, then the text. Returns
    the message object the simulator sent (``key.id`` is its WhatsApp id)."""
    customer = CUSTOMERS[n % len(CUSTOMERS)]
    text = PHRASES[n % len(PHRASES)]
    control.presence(evolution_name, customer.number, "composing")
    if typing_seconds:
        time.sleep(typing_seconds)
    return control.inbound(
        evolution_name, number=customer.number, push_name=customer.name, text=text
    )
