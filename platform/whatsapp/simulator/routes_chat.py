"""/chat/* (§2.14-2.18)."""

import base64

from starlette.routing import Route

from . import jids, lifecycle, payloads
from .errors import EvolutionError, bad_request
from .media import EXTENSIONS
from .routing import evolution
from .sending import check_connected, typing_delay, verify_number
from .validation import DELAY, NUMBER, string, validate
from .webhooks import emit

NUMBERS_SCHEMA = {
    "type": "object",
    "properties": {"numbers": {"type": "array", "items": string()}},
    "required": ["numbers"],
}
READ_SCHEMA = {
    "type": "object",
    "properties": {
        "readMessages": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "remoteJid": string(),
                    "fromMe": {"type": "boolean"},
                    "id": string(),
                },
                "required": ["remoteJid", "fromMe", "id"],
            },
        }
    },
    "required": ["readMessages"],
}
PRESENCES = ["unavailable", "available", "composing", "recording", "paused"]
PRESENCE_SCHEMA = {
    "type": "object",
    "properties": {
        "number": NUMBER,
        "presence": {"type": "string", "enum": PRESENCES},
        "delay": DELAY,
    },
    "required": ["number", "presence", "delay"],
}
NUMBER_SCHEMA = {"type": "object", "properties": {"number": NUMBER}, "required": ["number"]}
BASE64_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "object"}, "convertToMp4": {"type": "boolean"}},
    "required": ["message"],
}


@evolution()
async def whatsapp_numbers(state, request, body, instance):
    validate(body, NUMBERS_SCHEMA)
    if instance.status != "open":
        # This route catches its own errors and answers the raw exception: no "response" level.
        raise EvolutionError(400, ["Connection Closed"], wrapped=False)
    groups, users = [], []
    for number in body["numbers"]:
        jid = jids.create_jid(number)
        entry = {"jid": jid, "exists": jids.on_whatsapp(jid, state.not_on_whatsapp, number)}
        entry["number"] = number
        if entry["exists"] and instance.contacts.get(jid):
            entry["name"] = instance.contacts[jid]
        (groups if jids.is_group(jid) else users).append(entry)
    return groups + users


@evolution(201)
async def mark_as_read(state, request, body, instance):
    validate(body, READ_SCHEMA)
    if instance.status != "open":
        raise EvolutionError(500, ["Read messages fail", "Error: Connection Closed"])
    for key in body["readMessages"]:
        stored = state.messages.get(key["id"])
        if not key["remoteJid"].endswith(("@s.whatsapp.net", "@g.us")) or stored is None:
            continue  # @lid keys are skipped; unknown messages give no update
        update = {"keyId": key["id"], "remoteJid": key["remoteJid"], "fromMe": key["fromMe"]}
        if "participant" in stored.data["key"]:
            update["participant"] = stored.data["key"]["participant"]
        update.update(status="READ", instanceId=instance.instance_id, messageId=lifecycle.cuid())
        await emit(state, instance, "messages.update", update)
    return {"message": "Read messages", "read": "success"}


@evolution(201)
async def send_presence(state, request, body, instance):
    validate(body, PRESENCE_SCHEMA)
    try:
        check_connected(instance)
        verify_number(state, body["number"])
    except EvolutionError as error:
        # Inside the try block here: every failure is a 400 of its text ("[object Object]").
        text = "[object Object]" if error.status == 400 else f"Error: {error.message}"
        raise bad_request(text) from error
    await typing_delay(state, body)
    return {"presence": body["presence"]}


@evolution()
async def profile_picture(state, request, body, instance):
    validate(body, NUMBER_SCHEMA)
    jid = jids.create_jid(body["number"])
    on = jids.on_whatsapp(jid, state.not_on_whatsapp, body["number"])
    if not on:
        return {"wuid": jid, "profilePictureUrl": None}
    url = lifecycle.profile_picture(jid)
    if state.switches.serve_profile_pictures:  # the same path and query, on this server
        url = url.replace("https://pps.whatsapp.net/", f"{state.server_url}/_simulator/pictures/")
    return {"wuid": jid, "profilePictureUrl": url}


@evolution(201)
async def media_base64(state, request, body, instance):
    validate(body, BASE64_SCHEMA)
    key_id = (body["message"].get("key") or {}).get("id")
    stored = state.messages.get(key_id) if key_id else None
    if stored is None or stored.instance != instance.name:
        raise bad_request("Message not found")
    message = stored.data["message"]
    message_type = payloads.media_type_of(message)
    if message_type is None:
        raise bad_request("The message is not of the media type")
    content = message[message_type]
    mimetype = stored.mimetype or content.get("mimetype")
    if body.get("convertToMp4") and message_type == "audioMessage":
        mimetype = "audio/mp4"
    extension = EXTENSIONS.get(mimetype, "bin")
    size = {"fileLength": content["fileLength"]}
    size.update({k: content[k] for k in ("height", "width") if k in content})
    answer = {
        "mediaType": message_type,
        "fileName": content.get("fileName") or f"{key_id}.{extension}",
        "caption": content.get("caption"),
        "size": size,
        "mimetype": mimetype,
        "base64": base64.b64encode(stored.media or b"").decode(),
        "buffer": None,
    }
    if answer["caption"] is None:
        del answer["caption"]  # undefined in Evolution: absent from the JSON
    return answer


routes = [
    Route("/chat/whatsappNumbers/{name}", whatsapp_numbers, methods=["POST"]),
    Route("/chat/markMessageAsRead/{name}", mark_as_read, methods=["POST"]),
    Route("/chat/sendPresence/{name}", send_presence, methods=["POST"]),
    Route("/chat/fetchProfilePictureUrl/{name}", profile_picture, methods=["POST"]),
    Route("/chat/getBase64FromMediaMessage/{name}", media_base64, methods=["POST"]),
]
