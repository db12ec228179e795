from django.db import models


class ApiKey(models.Model):
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE)
    token = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=50, default="")
