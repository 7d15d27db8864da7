# The pgwarden image: the package with its SQL, migrations, policies and examples inside.
FROM python:3.11.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY webui webui
COPY migrations migrations
COPY sql sql
COPY policies policies
COPY examples examples
RUN pip install --no-cache-dir . && useradd --system --home-dir /app pgwarden
USER pgwarden
ENV PGWARDEN_HOME=/tmp/pgwarden
EXPOSE 8000
CMD ["pgwarden", "serve", "--host", "0.0.0.0", "--port", "8000"]
