"""A store database as the legacy application left it: its DDL, a few rows, no layer additions.

The DDL is the legacy schema of ``reference/store.md`` as a MySQL 8 dump would
have it (AUTO_INCREMENT ids, the server's default collation, CURRENT_TIMESTAMP
defaults), and its SQLite equivalent.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

__all__ = ["LEGACY_IDS", "create_legacy_store"]

_MYSQL = [
    """CREATE TABLE users (
        id INT AUTO_INCREMENT PRIMARY KEY,
        username VARCHAR(50) UNIQUE NOT NULL,
        email VARCHAR(100) UNIQUE NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        first_name VARCHAR(50), last_name VARCHAR(50),
        is_seller BOOLEAN DEFAULT FALSE, super_admin BOOLEAN DEFAULT FALSE,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        INDEX idx_username (username), INDEX idx_email (email),
        INDEX idx_is_seller (is_seller), INDEX idx_super_admin (super_admin)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE categories (
        id INT AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(100) NOT NULL,
        parent_id INT NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        FOREIGN KEY (parent_id) REFERENCES categories(id) ON DELETE SET NULL,
        INDEX idx_parent_id (parent_id), INDEX idx_name (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE products (
        id INT AUTO_INCREMENT PRIMARY KEY,
        seller_id INT NOT NULL, category_id INT NOT NULL,
        name VARCHAR(200) NOT NULL, description TEXT,
        price DECIMAL(10,2) NOT NULL, inventory_quantity INT NOT NULL DEFAULT 0,
        image_url VARCHAR(500) NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        FOREIGN KEY (seller_id) REFERENCES users(id) ON DELETE CASCADE,
        FOREIGN KEY (category_id) REFERENCES categories(id) ON DELETE RESTRICT,
        INDEX idx_seller_id (seller_id), INDEX idx_category_id (category_id),
        INDEX idx_name (name), INDEX idx_price (price),
        INDEX idx_inventory (inventory_quantity),
        FULLTEXT INDEX idx_search (name, description)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE shopping_carts (
        id INT AUTO_INCREMENT PRIMARY KEY,
        user_id INT NOT NULL, product_id INT NOT NULL,
        quantity INT NOT NULL DEFAULT 1,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
        FOREIGN KEY (product_id) REFERENCES products(id) ON DELETE CASCADE,
        UNIQUE KEY unique_user_product (user_id, product_id),
        INDEX idx_user_id (user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE orders (
        id INT AUTO_INCREMENT PRIMARY KEY,
        user_id INT NOT NULL,
        total_amount DECIMAL(10,2) NOT NULL,
        status ENUM('pending', 'completed', 'cancelled') DEFAULT 'pending',
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
        INDEX idx_user_id (user_id), INDEX idx_status (status), INDEX idx_created_at (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE order_items (
        id INT AUTO_INCREMENT PRIMARY KEY,
        order_id INT NOT NULL, product_id INT NOT NULL,
        quantity INT NOT NULL, price_at_time DECIMAL(10,2) NOT NULL,
        FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE,
        FOREIGN KEY (product_id) REFERENCES products(id) ON DELETE RESTRICT,
        INDEX idx_order_id (order_id), INDEX idx_product_id (product_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
]

_SQLITE = [
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username VARCHAR(50) UNIQUE NOT NULL, email VARCHAR(100) UNIQUE NOT NULL,
        password_hash VARCHAR(255) NOT NULL, first_name VARCHAR(50), last_name VARCHAR(50),
        is_seller BOOLEAN DEFAULT 0, super_admin BOOLEAN DEFAULT 0,
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
        updated_at DATETIME DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE categories (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(100) NOT NULL,
        parent_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE products (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seller_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
        name VARCHAR(200) NOT NULL, description TEXT, price DECIMAL(10,2) NOT NULL,
        inventory_quantity INTEGER NOT NULL DEFAULT 0, image_url VARCHAR(500),
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
        updated_at DATETIME DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE shopping_carts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        quantity INTEGER NOT NULL DEFAULT 1,
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
        updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
        UNIQUE (user_id, product_id))""",
    """CREATE TABLE orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        total_amount DECIMAL(10,2) NOT NULL, status VARCHAR(9) DEFAULT 'pending',
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
        updated_at DATETIME DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE order_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE RESTRICT,
        quantity INTEGER NOT NULL, price_at_time DECIMAL(10,2) NOT NULL)""",
]

_ROWS = [
    """INSERT INTO users (id, username, email, password_hash, is_seller) VALUES
        (1, 'ada', 'ada@example.com', 'h1', 0),
        (2, 'Bob', 'bob@example.com', 'h2', 1),
        (7, 'carol', 'carol@example.com', 'h3', NULL)""",
    "INSERT INTO categories (id, name, parent_id) VALUES (1, 'Books', NULL), (3, 'Sci-Fi', 1)",
    """INSERT INTO products (id, seller_id, category_id, name, description, price,
        inventory_quantity) VALUES (5, 2, 3, 'Dune', 'A desert planet', 9.99, 4)""",
    "INSERT INTO shopping_carts (id, user_id, product_id, quantity) VALUES (1, 1, 5, 2)",
    "INSERT INTO orders (id, user_id, total_amount, status) VALUES (4, 1, 19.98, 'completed')",
    """INSERT INTO order_items (id, order_id, product_id, quantity, price_at_time)
        VALUES (9, 4, 5, 2, 9.99)""",
]

LEGACY_IDS = {
    "users": 7,
    "categories": 3,
    "products": 5,
    "shopping_carts": 1,
    "orders": 4,
    "order_items": 9,
}
"""The largest id of each legacy table after :func:`create_legacy_store`."""


def create_legacy_store(engine: Engine) -> None:
    """Create the legacy schema on ``engine``'s empty database and add a few rows."""
    statements = _SQLITE if engine.dialect.name == "sqlite" else _MYSQL
    with engine.begin() as connection:
        for statement in [*statements, *_ROWS]:
            connection.execute(text(statement))
