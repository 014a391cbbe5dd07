import HeraldAPI
print("x")
