# The seed's TCP client, fixed: host and port from the command line.
# Usage: tcp_client_hello.py HOST PORT
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sk = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
sk.connect((host, port))
sk.sendall(b"hello!")
ret = sk.recv(1024)
print(ret.decode())
sk.close()
