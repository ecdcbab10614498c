#!/usr/bin/python3
"""make_http_seeds.py - writes the seed corpus of tests/fuzz/fuzz_http.c into tests/fuzz/seeds/http/.

Seed layout (see fuzz_http.c): one control byte (schedule and configuration), the client bytes,
b"\\xff\\xfe", the server bytes. Run from anywhere: /usr/bin/python3 tests/fuzz/make_http_seeds.py
"""
import os
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "http")

TEXT = b"".join(b"line %d of a compressible body\n" % i for i in range(60))


def gz(data, wbits):
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return c.compress(data) + c.flush()


def chunked(data, size=40, ext=b""):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x%s\r\n%s\r\n" % (len(part), ext, part)
    return out + b"0\r\nX-Trailer: done\r\n\r\n"


def resp(status, headers, body=b""):
    return b"HTTP/1.1 " + status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


GZ = gz(TEXT, 31)
ZL = gz(TEXT, 15)
RAW = gz(TEXT, -15)
BOMB = gz(b"\0" * 300000, 31)

SEEDS = {
    "get_200": (0x00,
                b"GET /index.html?q=1 HTTP/1.1\r\nHost: www.Example.com:8080\r\nUser-Agent: seed/1.0\r\n"
                b"Referer: http://r.example/\r\nCookie: a=b\r\nAccept: */*\r\n\r\n",
                resp(b"200 OK", [b"Server: nginx", b"Content-Type: text/html", b"Content-Length: 5"],
                     b"hello")),
    "post_cl": (0x01,
                b"POST /login HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 11\r\n\r\nuser=a&pw=b",
                resp(b"302 Found", [b"Location: /home", b"Content-Length: 0"])),
    "chunked_trailers": (0x02, b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n",
                         resp(b"200 OK", [b"Transfer-Encoding: chunked"], chunked(TEXT[:200], 37, b";x=y"))),
    "chunked_request": (0x21,
                        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"abcdefghij" * 5, 7),
                        resp(b"201 Created", [b"Content-Length: 0"])),
    "gzip": (0x03, b"GET /z HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n",
             resp(b"200 OK", [b"Content-Encoding: gzip", b"Content-Length: %d" % len(GZ)], GZ)),
    "deflate_zlib": (0x22, b"GET /d HTTP/1.1\r\nHost: h\r\n\r\n",
                     resp(b"200 OK", [b"Content-Encoding: deflate", b"Transfer-Encoding: chunked"], chunked(ZL, 50))),
    "deflate_raw": (0x80, b"GET /r HTTP/1.1\r\nHost: h\r\n\r\n",
                    resp(b"200 OK", [b"Content-Encoding: deflate", b"Content-Length: %d" % len(RAW)], RAW)),
    "gzip_bomb": (0x83, b"GET /bomb HTTP/1.1\r\nHost: h\r\n\r\n",
                  resp(b"200 OK", [b"Content-Encoding: gzip", b"Content-Length: %d" % len(BOMB)], BOMB)),
    "pipelined": (0x01,
                  b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                  b"HEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n",
                  resp(b"200 OK", [b"Content-Length: 1"], b"A") + resp(b"404 Not Found", [b"Content-Length: 2"], b"BB")
                  + resp(b"200 OK", [b"Content-Length: 999"])),
    "continue_100": (0x20,
                     b"PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
                     b"HTTP/1.1 100 Continue\r\n\r\n" + resp(b"201 Created", [b"Content-Length: 0"])),
    "bodiless": (0x02,
                 b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
                 resp(b"204 No Content", [b"Content-Length: 10"]) + resp(b"304 Not Modified", [b"ETag: \"x\""])),
    "close_delimited": (0x01, b"GET /old HTTP/1.0\r\n\r\n",
                        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the connection closes"),
    "connect": (0x00, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello",
                b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02ok"),
    "upgrade": (0x20, b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi"),
    "obs_fold": (0x40, b"GET /f HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\tc\r\nUser-Agent: x\r\n (y)\r\n\r\n",
                 resp(b"200 OK", [b"Content-Length: 0"])),
    "bad_fields": (0x41,
                   b"GET /h HTTP/1.1\r\nHost : spaced\r\nNoColon\r\nBad\x01Name: v\r\nHost: other\r\n"
                   b"Content-Length: 3, 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
                   resp(b"200 OK", [b"Content-Length: 1", b"Content-Length: 2"], b"ab")),
    "invalid_cl": (0x42, b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12abc\r\n\r\nbody",
                   resp(b"400 Bad Request", [b"Content-Length: zz"], b"error")),
    "unmatched": (0x00, b"", resp(b"200 OK", [b"Content-Length: 3"], b"abc")),
    "http09": (0x01, b"GET /\r\n\r\n", b"<html>hello</html>"),
    "absolute_uri": (0x02, b"GET http://user@WWW.Example.ORG.:81/p HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"
                     b"OPTIONS * http/1.0\r\n\r\nGET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
                     b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 2XX Odd\r\n\r\n"),
    "junk": (0x63, bytes(range(256)), bytes(range(255, -1, -1))),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (ctrl, client, server) in sorted(SEEDS.items()):
        data = bytes([ctrl]) + client + b"\xff\xfe" + server
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("make_http_seeds: wrote %d seeds to %s" % (len(SEEDS), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
