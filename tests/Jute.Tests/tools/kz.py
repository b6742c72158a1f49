import threading, time
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError, NodeExistsError, BadVersionError
zk = KazooClient(hosts='127.0.0.1:12182'); zk.start()
zk.create('/golden', b'hello')                                  # create op 1
ev = threading.Event()
data, stat = zk.get('/golden', watch=lambda e: ev.set())        # getData watch=true
zk.set('/golden', b'world')                                     # setData -> NodeDataChanged
ev.wait(5)
zk.create('/golden/child', b'')
children = zk.get_children('/golden', include_data=True)        # getChildren2
t = zk.transaction(); t.create('/golden/m1', b'x'); t.check('/golden', 99); r = t.commit()  # multi failing check
print(r)
print(zk.exists('/golden/missing'))                             # exists on missing -> NoNode
try: zk.create('/golden', b'')                                  # NodeExists
except NodeExistsError: pass
try: zk.set('/golden', b'z', version=42)                        # BadVersion
except BadVersionError: pass
zk.stop(); zk.close()
