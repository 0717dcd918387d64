# The seed's talking-loop ("phone") client, fixed: host and port from the command line, input
# from stdin, print instead of the seed's phone('has recv'), and a read loop that waits for
# the whole reply (TCP has no message boundaries). Usage: tcp_talk_client.py HOST PORT < lines
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
phone = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
phone.connect((host, port))
for line in sys.stdin:
    msg = line.strip()
    if not msg:
        continue
    phone.sendall(msg.encode("utf-8"))
    data = b""
    while len(data) < len(msg.encode("utf-8")):
        part = phone.recv(1024)
        if not part:
            break
        data += part
    print(data.decode("utf-8"))
phone.close()
