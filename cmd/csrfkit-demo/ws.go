package main

// A minimal WebSocket echo server (RFC 6455), standard library only: the
// handshake, masked client frames, text/binary echo, ping/pong, fragmented
// messages up to wsMaxMessage, and close frames. No extensions, no
// subprotocols.

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	wsGUID       = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	wsMaxMessage = 64 << 10 // a frame or reassembled message larger than this is refused (1009)
	wsIdle       = 5 * time.Minute

	opCont  = 0x0
	opText  = 0x1
	opBin   = 0x2
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA

	closeNormal    = 1000
	closeProtocol  = 1002
	closeBadData   = 1007
	closeTooBig    = 1009
	closeNoStatus  = 1005
	closeAbnormal  = 1006
	closeTLSFailed = 1015
)

var (
	errWSProtocol = errors.New("websocket: protocol error")
	errWSTooBig   = errors.New("websocket: message too big")
)

// wsAccept is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// headerHas reports whether a comma-separated header contains token
// (case-insensitive), e.g. Connection: keep-alive, Upgrade.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// serveEcho upgrades the request and echoes every message until the client
// closes. The caller has already decided that the handshake is allowed.
func serveEcho(w http.ResponseWriter, r *http.Request, conns *connSet) {
	if r.Method != http.MethodGet || !headerHas(r.Header, "Connection", "upgrade") || !headerHas(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "this is a WebSocket endpoint (echo): connect with new WebSocket(url)", http.StatusUpgradeRequired)
		return
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "unsupported WebSocket version", http.StatusUpgradeRequired)
		return
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		http.Error(w, "bad Sec-WebSocket-Key", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot upgrade this connection (HTTP/2?)", http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	if !conns.add(conn) {
		return // shutting down
	}
	defer conns.remove(conn)
	conn.SetDeadline(time.Time{})
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		wsAccept(key) + "\r\n\r\n")
	if brw.Flush() != nil {
		return
	}
	echo(conn, brw.Reader, brw.Writer)
}

func echo(conn net.Conn, br *bufio.Reader, bw *bufio.Writer) {
	var msg []byte
	var msgOp byte // opcode of the message being reassembled; 0 when none
	for {
		conn.SetReadDeadline(time.Now().Add(wsIdle))
		fin, op, payload, err := readFrame(br)
		switch {
		case errors.Is(err, errWSTooBig):
			writeClose(bw, closeTooBig, "message too big")
			return
		case errors.Is(err, errWSProtocol):
			writeClose(bw, closeProtocol, "protocol error")
			return
		case err != nil:
			return // connection gone or idle
		}
		switch op {
		case opClose:
			code := closeNormal
			if len(payload) >= 2 {
				code = int(binary.BigEndian.Uint16(payload))
			}
			switch code {
			case closeNoStatus, closeAbnormal, closeTLSFailed: // never sent on the wire
				code = closeProtocol
			}
			writeClose(bw, code, "")
			return
		case opPing:
			if writeFrame(bw, opPong, payload) != nil {
				return
			}
			continue
		case opPong:
			continue
		case opText, opBin:
			if msgOp != 0 {
				writeClose(bw, closeProtocol, "new message inside a fragmented one")
				return
			}
			msgOp, msg = op, append(msg[:0], payload...)
		case opCont:
			if msgOp == 0 {
				writeClose(bw, closeProtocol, "continuation without a message")
				return
			}
			if len(msg)+len(payload) > wsMaxMessage {
				writeClose(bw, closeTooBig, "message too big")
				return
			}
			msg = append(msg, payload...)
		default:
			writeClose(bw, closeProtocol, "unknown opcode")
			return
		}
		if !fin {
			continue
		}
		if msgOp == opText && !utf8.Valid(msg) {
			writeClose(bw, closeBadData, "invalid UTF-8")
			return
		}
		if writeFrame(bw, msgOp, msg) != nil {
			return
		}
		msgOp = 0
	}
}

// readFrame reads one client frame and unmasks its payload. Client frames
// must be masked; control frames must be final and at most 125 bytes.
func readFrame(br *bufio.Reader) (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	if h[0]&0x70 != 0 || h[1]&0x80 == 0 { // reserved bits without extension, or unmasked
		return false, 0, nil, errWSProtocol
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err = io.ReadFull(br, b[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err = io.ReadFull(br, b[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if op >= 0x8 && (n > 125 || !fin) {
		return false, 0, nil, errWSProtocol
	}
	if n > wsMaxMessage {
		return false, 0, nil, errWSTooBig
	}
	var mask [4]byte
	if _, err = io.ReadFull(br, mask[:]); err != nil {
		return
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(br, payload); err != nil {
		return
	}
	for i := range payload {
		payload[i] ^= mask[i&3]
	}
	return fin, op, payload, nil
}

// writeFrame writes one final, unmasked server frame.
func writeFrame(bw *bufio.Writer, op byte, payload []byte) error {
	bw.WriteByte(0x80 | op)
	switch n := len(payload); {
	case n <= 125:
		bw.WriteByte(byte(n))
	case n <= 0xffff:
		bw.WriteByte(126)
		bw.Write(binary.BigEndian.AppendUint16(nil, uint16(n)))
	default:
		bw.WriteByte(127)
		bw.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	}
	bw.Write(payload)
	return bw.Flush()
}

func writeClose(bw *bufio.Writer, code int, reason string) {
	writeFrame(bw, opClose, append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...))
}

// connSet tracks hijacked connections: http.Server.Shutdown does not know
// about them, so they are closed from RegisterOnShutdown.
type connSet struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func (s *connSet) add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *connSet) remove(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write([]byte{0x80 | opClose, 2, 0x03, 0xe9}) // 1001 going away
		c.Close()
	}
}
