from __future__ import annotations

from django.contrib import admin

from ascolto.knowledge.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    """Articles are written by the editorial staff (the console's "Conoscenza" pages keep a
    version on each change; the admin does not); public ones are suggested on Scrivi."""

    list_display = ["title", "kind", "theme", "audience", "is_published", "updated_at"]
    list_filter = ["kind", "audience", "is_published", "theme"]
    search_fields = ["title", "summary", "keywords", "slug"]
    prepopulated_fields = {"slug": ("title",)}
    list_select_related = ["theme"]
    raw_id_fields = ["owner", "updated_by"]
