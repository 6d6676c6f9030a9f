import smtplib


def retryable_smtp(task, message):
    try:
        with smtplib.SMTP("mail.example") as smtp:
            smtp.send_message(message)
    except smtplib.SMTPException as exc:
        raise task.retry(exc=exc)
