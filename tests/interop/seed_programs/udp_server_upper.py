# The seed's UDP server, fixed: host and port from the command line; stops after COUNT
# datagrams so a test never leaves it behind. Usage: udp_server_upper.py HOST PORT COUNT
import socket
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
udp_server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
udp_server.bind((host, port))
print("listening on %s:%d" % (host, udp_server.getsockname()[1]), flush=True)
for _ in range(count):
    conn, addr = udp_server.recvfrom(1024)
    udp_server.sendto(conn.upper(), addr)
