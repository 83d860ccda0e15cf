"""A stand-in for neonize's Go library, for driving real neonize clients without WhatsApp.

neonize's `NewClient` calls the Go library through the module global `neonize.client.gocode`;
tests put a `FakeGo` there. Like the real library, `Neonize` (behind `client.connect`)
registers the client, then delivers events through the very callbacks neonize gave it, on
the connecting thread, until `Stop`. Events are neonize's real protobufs, serialised.

It also checks the rule the engine must keep (see wapiz/engines/whatsmeow/gocalls.py): a call
that writes the library's client maps never overlaps any other call.
"""

import ctypes
import hashlib
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from google.protobuf.message import Message
from neonize.events import EVENT_TO_INT
from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waCommon import WACommon_pb2 as common
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

STOPPED = object()
Script = Callable[["FakeConnection"], bytes | None]


def jid(user: str, server: str = "s.whatsapp.net", device: int = 0) -> neonize.JID:
    return neonize.JID(User=user, Server=server, RawAgent=0, Device=device, Integrator=0,
                       IsEmpty=False)


@dataclass
class FakeConnection:
    """One `Neonize` call: a client connecting and then connected until stopped."""

    uuid: bytes
    store: str
    proxy: bool
    resumes_by: str  # how neonize was told which session to use
    qr_callback: Callable[..., None]
    event_callback: Callable[..., None]
    inbox: "queue.Queue[object]" = field(default_factory=queue.Queue)
    keep: list[object] = field(default_factory=list)  # buffers Go would own
    dialling: threading.Event = field(default_factory=threading.Event)
    dial_over: threading.Event = field(default_factory=threading.Event)

    def hang(self, seconds: float) -> bytes:
        """A script step: the dial hangs (a silent route) until it times out. Meanwhile
        Go's Stop waits for it, as whatsmeow's Disconnect waits for its socket lock."""
        self.dialling.set()
        time.sleep(seconds)
        self.dial_over.set()
        return b"dial tcp: i/o timeout"

    def qr(self, code: str) -> None:
        self.inbox.put(("qr", code.encode()))

    def event(self, event: Message, code: int | None = None) -> None:
        self.inbox.put((EVENT_TO_INT[type(event)] if code is None else code,
                        event.SerializePartialToString()))

    def logged_in(self, phone: str, device: int = 7) -> None:
        """As after a scan or on resuming: the Device ("me") event, then Connected."""
        self.event(neonize.Device(JID=jid(phone, device=device)), code=0)
        self.event(neonize.Connected(status=True))

    def deliver_until_stopped(self) -> None:
        while (item := self.inbox.get()) is not STOPPED:
            kind, data = item  # type: ignore[misc]
            buffer = ctypes.create_string_buffer(data, len(data) + 1)
            self.keep.append(buffer)
            if kind == "qr":
                self.qr_callback(self.uuid, ctypes.addressof(buffer))
            else:
                self.event_callback(self.uuid, ctypes.addressof(buffer), len(data), kind)


@contextmanager
def reachable_whatsapp() -> Iterator[tuple[str, int]]:
    """A loopback port that takes connections, to stand for WhatsApp's address in the
    engine's route check (wapiz/engines/whatsmeow/route.py) while Go itself is faked."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                server.accept()[0].close()
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield server.getsockname()[:2]
    finally:
        server.close()


class PeopleCalls:
    """The Go functions neonize 0.5.2's profile, contact, presence and call methods use,
    answering as neonize's Go side serialises them (mixed into FakeGo)."""

    def GetMe(self, uuid):
        with self._call("GetMe", writes=False):
            return neonize.Device(JID=jid("6281234567890", device=7), PushName=self.push_name,
                                  LID=jid("55554444333", "lid")).SerializePartialToString()

    def GetUserInfo(self, uuid, buf, size):
        with self._call("GetUserInfo", writes=False):
            asked = neonize.JIDArray.FromString(bytes(buf[:size])).JIDS
            users = [neonize.GetUserInfoSingleReturnFunction(
                JID=j, UserInfo=neonize.UserInfo(Status=self.statuses.get(j.User, ""),
                                                 PictureID="1"))
                     for j in asked]
            return neonize.GetUserInfoReturnFunction(UsersInfo=users).SerializePartialToString()

    def GetProfilePicture(self, uuid, jid_buf, size, extra, extra_size):
        with self._call("GetProfilePicture", writes=False):
            asked = neonize.JID.FromString(bytes(jid_buf[:size]))
            url = self.pictures.get(asked.User)
            if url is None:
                return neonize.GetProfilePictureReturnFunction(
                    Error="the user doesn't have a profile picture").SerializePartialToString()
            return neonize.GetProfilePictureReturnFunction(Picture=neonize.ProfilePictureInfo(
                URL=url, ID="1", Type="image", DirectPath="/p")).SerializePartialToString()

    def SetPushName(self, uuid, name):
        with self._call("SetPushName", writes=False):
            self.push_name = name.decode()
            return b""

    def SetStatusMessage(self, uuid, message):
        with self._call("SetStatusMessage", writes=False):
            self.statuses["6281234567890"] = message.decode()
            return b""

    def SetProfilePhoto(self, uuid, data, size):
        with self._call("SetProfilePhoto", writes=False):
            self.profile_photos.append(bytes(data[:size]))
            return neonize.SetGroupPhotoReturnFunction(PictureID="2").SerializePartialToString()

    def GetAllContacts(self, uuid):
        with self._call("GetAllContacts", writes=False):
            return neonize.ContactsGetAllContactsReturnFunction(Contact=self.contacts) \
                .SerializePartialToString()

    def GetContact(self, uuid, jid_buf, size):
        with self._call("GetContact", writes=False):
            asked = neonize.JID.FromString(bytes(jid_buf[:size]))
            found = next((c.Info for c in self.contacts if c.JID.User == asked.User),
                         neonize.ContactInfo(Found=False))
            return neonize.ContactsGetContactReturnFunction(ContactInfo=found) \
                .SerializePartialToString()

    def UpdateBlocklist(self, uuid, jid_buf, size, action):
        with self._call("UpdateBlocklist", writes=False):
            asked = neonize.JID.FromString(bytes(jid_buf[:size])).User
            if action == b"block":
                self.blocklist.add(asked)
            else:
                self.blocklist.discard(asked)
            return neonize.GetBlocklistReturnFunction(Blocklist=neonize.Blocklist(
                JIDs=[jid(user) for user in sorted(self.blocklist)])).SerializePartialToString()

    def GetLIDFromPN(self, uuid, jid_buf, size):
        with self._call("GetLIDFromPN", writes=False):
            asked = neonize.JID.FromString(bytes(jid_buf[:size]))
            lid = self.phone_lids.get(asked.User)
            if lid is None:
                return neonize.GetJIDFromStoreReturnFunction(Error="no mapping") \
                    .SerializeToString()
            return neonize.GetJIDFromStoreReturnFunction(Jid=jid(lid, "lid")) \
                .SerializePartialToString()

    def SendPresence(self, uuid, presence):
        with self._call("SendPresence", writes=False):
            self.presences.append(presence)
            return b""

    def SendChatPresence(self, uuid, jid_buf, size, state, media):
        with self._call("SendChatPresence", writes=False):
            chat = neonize.JID.FromString(bytes(jid_buf[:size]))
            self.chat_presences.append((chat.User, state, media))
            return b""

    def SubscribePresence(self, uuid, jid_buf, size):
        with self._call("SubscribePresence", writes=False):
            self.subscribed.append(neonize.JID.FromString(bytes(jid_buf[:size])).User)
            return b""

    def RejectCall(self, uuid, jid_buf, size, call_id):
        with self._call("RejectCall", writes=False):
            caller = neonize.JID.FromString(bytes(jid_buf[:size])).User
            self.rejected.append((caller, call_id.value.decode()))
            return b""


class FakeGo(PeopleCalls):
    def __init__(self, script: Script | None = None) -> None:
        self.script: Script = script or (lambda connection: None)
        self._guard = threading.Lock()
        self._writers = 0
        self._readers = 0
        self.overlaps: list[str] = []
        self.connections: list[FakeConnection] = []
        self.stopped: list[bytes] = []  # the clients Stop was called for, in order
        self.live: dict[bytes, FakeConnection] = {}
        self.connected = True
        self.calls: list[str] = []
        self.sent: list[tuple[neonize.JID, bytes]] = []
        self.send_errors: list[str] = []  # what the next sends fail with, in order
        self.send_gate: threading.Event | None = None  # set: WhatsApp answers sends again
        self.lids: dict[str, str] = {}
        self.uploads: list[bytes] = []
        self.cdn: dict[bytes, bytes] = {}  # what WhatsApp's media servers hold, by FileSHA256
        self.votes: dict[str, list[str]] = {}  # poll id → the options a vote chose
        # The account's side of profiles, contacts, presence and calls.
        self.push_name = "Toko"
        self.statuses: dict[str, str] = {}  # number → its about text
        self.pictures: dict[str, str] = {}  # number → its picture's URL
        self.profile_photos: list[bytes] = []
        self.contacts: list[neonize.Contact] = []
        self.blocklist: set[str] = set()
        self.phone_lids: dict[str, str] = {}  # number → its LID's user part
        self.presences: list[bytes] = []
        self.chat_presences: list[tuple[str, int, int]] = []
        self.subscribed: list[str] = []
        self.rejected: list[tuple[str, str]] = []  # (caller's jid user, call id)
        self.read_marks: list[tuple[str, str, list[str]]] = []  # (chat, sender, ids)

    # --- the concurrency rule -----------------------------------------------------------

    @contextmanager
    def _call(self, name: str, writes: bool) -> Iterator[None]:
        with self._guard:
            self.calls.append(name)
            if self._writers or (writes and self._readers):
                self.overlaps.append(name)
            if writes:
                self._writers += 1
            else:
                self._readers += 1
        try:
            time.sleep(0.005)  # long enough for overlapping calls to meet
            yield
        finally:
            with self._guard:
                if writes:
                    self._writers -= 1
                else:
                    self._readers -= 1

    def connections_of(self, key: str) -> list[FakeConnection]:
        return [c for c in self.connections if c.uuid.startswith(f"wapiz-{key}-".encode())]

    # --- lifecycle (they write the client maps) -----------------------------------------

    def Neonize(self, db, uuid, jid_buf, jid_size, new_device, log_level, qr_cb, login_cb,
                event_cb, log_cb, subscribers, n_subscribers, props, n_props, pair, n_pair,
                proxy):
        with self._call("Neonize", writes=True):
            resumes_by = "jid" if jid_size else ("new device" if new_device else "store")
            connection = FakeConnection(uuid, db.decode(), proxy is not None, resumes_by,
                                        qr_cb, event_cb)
            self.connections.append(connection)
            self.live[uuid] = connection
        error = self.script(connection)
        if error:
            return error
        connection.deliver_until_stopped()
        return b""

    def Stop(self, uuid):
        with self._call("Stop", writes=True):
            connection = self.live.get(uuid)
            if connection is not None and connection.dialling.is_set():
                connection.dial_over.wait()
            self.stopped.append(uuid)
            connection = self.live.pop(uuid, None)
            if connection is not None:
                connection.inbox.put(STOPPED)

    def Logout(self, uuid):
        with self._call("Logout", writes=True):
            return b""

    # --- reads ----------------------------------------------------------------------------

    def PairPhone(self, uuid, payload, size):
        # neonize's PairPhone only looks its client up (goneonize/main.go).
        with self._call("PairPhone", writes=False):
            params = neonize.PairPhoneParams.FromString(payload)
            return neonize.PairPhoneReturnFunction(Code=f"{params.phone[-4:]}-WXYZ") \
                .SerializeToString()

    def IsConnected(self, uuid):
        with self._call("IsConnected", writes=False):
            return self.connected

    def IsOnWhatsApp(self, uuid, numbers, size):
        with self._call("IsOnWhatsApp", writes=False):
            answers = [
                neonize.IsOnWhatsAppResponse(Query=n, JID=jid(n.lstrip("+")), IsIn=n.endswith("0"))
                for n in numbers.decode().split()
            ]
            return neonize.IsOnWhatsAppReturnFunction(IsOnWhatsAppResponse=answers) \
                .SerializeToString()

    def SendMessage(self, uuid, to, to_size, message, message_size):
        with self._call("SendMessage", writes=False):
            if self.send_gate is not None:
                self.send_gate.wait(30)
            if self.send_errors:
                return neonize.SendMessageReturnFunction(Error=self.send_errors.pop(0)) \
                    .SerializePartialToString()
            self.sent.append((neonize.JID.FromString(to), message))
            response = neonize.SendResponse(ID=f"3EB0{len(self.sent):016X}", Timestamp=1764070000)
            return neonize.SendMessageReturnFunction(SendResponse=response) \
                .SerializePartialToString()

    def MarkRead(self, uuid, ids, timestamp, chat, chat_size, sender, sender_size, receipt):
        with self._call("MarkRead", writes=False):
            self.read_marks.append((neonize.JID.FromString(chat).User,
                                    neonize.JID.FromString(sender).User, ids.decode().split()))
            return b""

    def GetPNFromLID(self, uuid, lid, size):
        with self._call("GetPNFromLID", writes=False):
            asked = neonize.JID.FromString(lid)
            phone = self.lids.get(asked.User)
            if phone is None:
                return neonize.GetJIDFromStoreReturnFunction(Error="no mapping") \
                    .SerializeToString()
            return neonize.GetJIDFromStoreReturnFunction(Jid=jid(phone)) \
                .SerializePartialToString()

    def Upload(self, uuid, binary, size, media_type):
        with self._call("Upload", writes=False):
            data = bytes(binary[:size]) if not isinstance(binary, bytes) else binary[:size]
            self.uploads.append(data)
            digest = hashlib.sha256(data).digest()
            self.cdn[digest] = data
            response = neonize.UploadResponse(
                url="https://mmg.whatsapp.net/fake", DirectPath="/fake", Handle="h",
                MediaKey=b"k" * 32,
                FileEncSHA256=digest, FileSHA256=digest, FileLength=len(data))
            return neonize.UploadReturnFunction(UploadResponse=response).SerializeToString()

    def DownloadAny(self, uuid, message, size):
        with self._call("DownloadAny", writes=False):
            parsed = wa.Message.FromString(bytes(message[:size]))
            part = next((getattr(parsed, f) for f in ("imageMessage", "documentMessage",
                                                       "audioMessage", "videoMessage")
                         if parsed.HasField(f)), None)
            data = self.cdn.get(part.fileSHA256) if part is not None else None
            if data is None:
                return neonize.DownloadReturnFunction(Error="media not found (404)") \
                    .SerializeToString()
            return neonize.DownloadReturnFunction(Binary=data).SerializeToString()

    def BuildPollVote(self, uuid, info, info_size, options, options_size):
        with self._call("BuildPollVote", writes=False):
            poll = neonize.MessageInfo.FromString(bytes(info[:info_size]))
            names = list(neonize.ArrayString.FromString(bytes(options[:options_size])).data)
            self.votes[poll.ID] = names
            vote = wa.PollUpdateMessage(pollCreationMessageKey=common.MessageKey(ID=poll.ID))
            return neonize.BuildPollVoteReturnFunction(PollVote=wa.Message(
                pollUpdateMessage=vote)).SerializeToString()

    def DecryptPollVote(self, uuid, message, size):
        with self._call("DecryptPollVote", writes=False):
            event = neonize.Message.FromString(bytes(message[:size]))
            poll_id = event.Message.pollUpdateMessage.pollCreationMessageKey.ID
            chosen = [hashlib.sha256(name.encode()).digest()
                      for name in self.votes.get(poll_id, [])]
            return neonize.ReturnFunctionWithError(PollVoteMessage=wa.PollVoteMessage(
                selectedOptions=chosen)).SerializeToString()
