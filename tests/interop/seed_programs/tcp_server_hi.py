# The seed's TCP server, fixed: host and port from the command line (IPv4 or IPv6), and the
# reply sent with sendall. Usage: tcp_server_hi.py HOST PORT
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sk = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind((host, port))
sk.listen()
print("listening on %s:%d" % (host, sk.getsockname()[1]), flush=True)
conn, addr = sk.accept()
ret = conn.recv(1024)
print(ret.decode(), flush=True)
conn.sendall(b"hi")
conn.close()
sk.close()
