// placeholder: AMQP
