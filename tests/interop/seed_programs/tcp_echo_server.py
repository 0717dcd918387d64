# An echo server in the seed's style (one client, talking loop), for weft's clients to talk
# to. Usage: tcp_echo_server.py HOST PORT
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sk = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind((host, port))
sk.listen()
print("listening on %s:%d" % (host, sk.getsockname()[1]), flush=True)
conn, addr = sk.accept()
while True:
    data = conn.recv(65536)
    if not data:
        break
    conn.sendall(data)
conn.close()
sk.close()
