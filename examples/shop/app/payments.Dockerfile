FROM python:latest
ENV API_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB
RUN curl -sSL https://install.example.com/setup.sh | sh
RUN apt-get update && apt-get install -y curl
ADD https://example.com/app.tar.gz /opt/
COPY . /app
EXPOSE 22
CMD python /app/main.py
