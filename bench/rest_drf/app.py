"""Models over the bench tables, serializers, views and URLs, as a DRF team would write them."""

from __future__ import annotations

from django.db import models
from django.urls import path
from rest_framework import generics, serializers


class Author(models.Model):
    name = models.TextField()

    class Meta:
        app_label = "rest_drf"
        db_table = "authors"
        managed = False


class Item(models.Model):
    name = models.TextField()
    qty = models.IntegerField(default=0)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    author = models.ForeignKey(Author, on_delete=models.DO_NOTHING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "rest_drf"
        db_table = "items"
        managed = False


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ("id", "name", "qty", "price", "author_id", "created_at")

    author_id = serializers.IntegerField()


class AuthorNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ("name",)


class ItemWithAuthorSerializer(serializers.ModelSerializer):
    authors = AuthorNameSerializer(source="author", read_only=True)

    class Meta:
        model = Item
        fields = ("id", "name", "authors")


class ItemDetail(generics.RetrieveUpdateAPIView):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer


class ItemList(generics.ListCreateAPIView):
    serializer_class = ItemSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        author = self.request.query_params.get("author_id")
        queryset = Item.objects.all().order_by("id")
        return queryset.filter(author_id=author)[:25] if author else queryset[:25]


class ItemEmbedList(generics.ListAPIView):
    serializer_class = ItemWithAuthorSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        author = self.request.query_params.get("author_id")
        return Item.objects.select_related("author").filter(author_id=author).order_by("id")[:25]


urlpatterns = [
    path("items/<int:pk>", ItemDetail.as_view()),
    path("items", ItemList.as_view()),
    path("items-embed", ItemEmbedList.as_view()),
]
