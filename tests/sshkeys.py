"""Real OpenSSH public keys made with ssh-keygen for the tests (their private keys were thrown
away): `ssh-keygen -t ed25519`, `-t rsa -b 2048`, `-t rsa -b 1024`, `-t ecdsa`."""

ED25519 = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA41BZItEluYZ+ZvvZZAZBdhL7VABMDf/qfGCV4NsO/e test@example"
)
RSA_2048 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDNTevin+lD34dARGqUSBe3J8cXESXVbNC8QvHACMsJ/ATmak3mMThM"
    "jsI5eKR0q1apWXK9a948jlX4NsLgZsRljag5b+OC2YXza7SQM8slZJrH5ZWSsUqnbzelgbpGee4K48EvElhvtzdBR8NJ"
    "Hk+VM4Nym3emYGqta5qSoxhsjgRa+gh6IkuFvwovt11ZbPIJde/wDf1aBoRwsRUjT4BczqbWGL4CMPVrxr9oR+ZwgAhH"
    "cBtMqYETXuUrv4CLx1mG87nYajn8DMxrVD/51UzcG4y1UXDZ23BQwu6T3NpVmnXdDg2ikjVTlzb1/lPw4PHx5WZdVOza"
    "UB5W1m1PRr9Z rsa@example"
)
RSA_1024 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDF+RPOCAw3iuqE8PecuOquiohh35esbqf6ldscBsNuAwlJOfCZuby4"
    "viynNYSBDti8Xv6mThyWWFjTRv+kEE1sq5r65B5Y2plJmc8CsVTcSTmI/Qc2jjPgQ2xis/qc0LDVzhNuk0f9tHUW5qpD"
    "UGoXbTNf3hDPZzIIZ4RPmuP7mQ== small@example"
)
ECDSA_P256 = (
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBByXOFkIXMo8IgnYjFKs1w"
    "mqoibC9jHzUNEInM/IufnO4gMjSAqKXY/Ay+TCayCiy1PyfmD1WIMqoT9jMliHbFU= ec@example"
)
# The placeholder Pulumi.<stack>.yaml ships: 32 bytes of text where an Ed25519 key goes.
PLACEHOLDER = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBsYWNlaG9sZGVyLXJlcGxhY2Utd2l0aC15b3VyLWtl dev@example"
)
